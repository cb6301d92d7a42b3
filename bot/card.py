"""The event card: the answer first, then every claim with its status explained, in pages.

Page 1 opens with the title, date and place and a "per X" line for each measure
("killed: 89 (Russian MoD; earlier 63) · about 400 (Ukraine's military)"), then the
claims grouped by measure, statements without a figure last, and a legend of the
statuses on that page. The event's summary, notes on dates and full references are
on its "About" pages; every assessment in full on its "Assessments" pages.

Each page is valid Telegram HTML built from self-contained blocks and fits one message
whatever the data holds: the header's lines are bounded, and a page breaks between any
two claims, revision chains included (a chain split over pages says it is continued).
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby

from bot.card_notes import about_blocks
from bot.claim_text import (
    FIGURE_CHARS,
    figure_label,
    reported_text,
    status_text,
)
from bot.i18n import ENGLISH, N_, Tr
from bot.rendering import (
    CARD_PAGE_LIMIT,
    CARD_PART_LIMIT,
    METRIC_HEADINGS,
    SIDE_LABELS,
    STATUS_MARKERS,
    STATUS_SHORT_MEANINGS,
    escape,
    footer,
    format_event_dates,
    related_block,
    shorten,
    status_name,
    telegram_length,
)
from db.queries import ClaimView, EventCard
from db.vocabulary import Lifecycle, Metric, VerificationStatus

# Page 1 is one phone screen: the answer and the largest claims. Later pages hold more
# (load tests measured the same throughput for pages of 900 to 3900 units).
FIRST_PAGE_LIMIT = 1100

SUMMARY_METRICS = 4  # "per X" lines on page 1
SUMMARY_ITEMS = 5  # figures on one such line
SUMMARY_NAMES = 2  # claimants named for one figure
SUMMARY_LINE_CHARS = 400
STATEMENT_CHARS = 240

# Metrics whose claims without a figure are compact "Other statements".
STATEMENT_METRICS = frozenset({Metric.OTHER, Metric.DAMAGE})
OTHER_STATEMENTS = N_("Other statements")

# What a question asks about, by the words it uses (English, Ukrainian, Russian stems).
_ASKED: tuple[tuple[Metric, re.Pattern[str]], ...] = tuple(
    (metric, re.compile(pattern, re.IGNORECASE))
    for metric, pattern in (
        (Metric.WOUNDED, r"injur|wound|hurt|поран|ранен"),
        (Metric.MUNITIONS_DESTROYED, r"shot down|intercept|destroyed|збит|сбит"),
        (Metric.MUNITIONS_FIRED, r"missile|rocket|drone|himars|ракет|дрон"),
        (Metric.PRESENT, r"present|based|stationed|troops were|how many (?:troops|soldiers) were"),
        (Metric.MOBILISED, r"mobili[sz]|conscript|мобіліз|мобилиз"),
    )
)


def focus_of(question: str) -> Metric | None:
    """The measure a question asks about ("how many were injured" -> wounded), where it
    is not the one every card answers first (killed); else None."""
    if re.search(r"kill|die|dead|death|toll|fatalit|загин|убит|погиб", question, re.I):
        return None
    for metric, pattern in _ASKED:
        if pattern.search(question):
            return metric
    return None


# ---------------------------------------------------------------- the answer lines


def _chains(claims: Sequence[ClaimView]) -> list[list[ClaimView]]:
    """Revisions in order: a claim and the claims that superseded it form one chain."""
    by_id = {c.id: c for c in claims}
    successor = {c.supersedes_id: c for c in claims if c.supersedes_id in by_id}
    chains = []
    for claim in claims:
        if claim.supersedes_id in by_id:
            continue  # shown in the chain of the claim it revises
        chain = [claim]
        while chain[-1].id in successor and len(chain) <= len(claims):
            chain.append(successor[chain[-1].id])
        chains.append(chain)
    return chains


def summary_line(tr: Tr, card: EventCard, metric: Metric) -> str | None:
    """'<b>Killed</b>: 89 (Russian MoD; earlier 63) · about 400 (Ukraine's military)':
    current figures only, each with who gave it and what it replaced."""
    items: dict[str, list[str]] = {}
    markers: dict[str, str] = {}
    claims = [c for c in card.claims if c.metric == metric]
    for chain in _chains(claims):
        current = [c for c in chain if c.lifecycle == Lifecycle.CURRENT]
        if not current:
            continue
        claim = current[-1]
        figure = figure_label(tr, claim)
        if figure is None:
            continue
        names = items.setdefault(figure, [])
        name = shorten(claim.claimant.label, FIGURE_CHARS)
        # The figure it replaced; the whole chain is in the claims below.
        earlier = [figure_label(tr, c) for c in chain if c.lifecycle == Lifecycle.SUPERSEDED]
        earlier_text = ""
        if earlier and earlier[-1]:
            earlier_text = "; " + tr.gettext("earlier {figure}").format(figure=earlier[-1])
        if name + earlier_text not in names:
            names.append(name + earlier_text)
        if claim.status != VerificationStatus.UNVERIFIED:
            markers.setdefault(figure, STATUS_MARKERS[claim.status])
    if not items:
        return None
    parts: list[str] = []
    for figure, names in list(items.items())[:SUMMARY_ITEMS]:
        named = "; ".join(names[:SUMMARY_NAMES])
        if len(names) > SUMMARY_NAMES:
            named += f"; +{len(names) - SUMMARY_NAMES}"
        marker = f"{markers[figure]} " if figure in markers else ""
        part = f"{marker}{escape(figure)} ({escape(named)})"
        if parts and telegram_length(" · ".join([*parts, part])) > SUMMARY_LINE_CHARS:
            break
        parts.append(part)
    if len(items) > len(parts):
        more = tr.gettext("{count} more").format(count=tr.number(len(items) - len(parts)))
        parts.append(f"+{more}")
    return f"<b>{tr.gettext(METRIC_HEADINGS[metric])}</b>: " + " · ".join(parts)


def answer_lines(tr: Tr, card: EventCard, focus: Metric | None = None) -> list[str]:
    """The 'per X' lines, the measure asked about first."""
    order = [m for m in Metric if m != Metric.OTHER]
    if focus in order:
        order.remove(focus)
        order.insert(0, focus)
    lines = [line for m in order if (line := summary_line(tr, card, m))]
    return lines[:SUMMARY_METRICS]


def header_block(tr: Tr, card: EventCard, title: str, focus: Metric | None = None) -> str:
    where = ", ".join(escape(p) for p in (card.place, card.region, card.country) if p)
    when = format_event_dates(tr, card)
    lines = [title, " · ".join(filter(None, [when, where]))]
    return "\n".join([*lines, *answer_lines(tr, card, focus)])


# ---------------------------------------------------------------- claim units


@dataclass(frozen=True)
class Unit:
    """The smallest piece of a card's claims a page may break after."""

    heading: str  # the group's heading (English, translated when shown), repeated on a new page
    text: str
    statuses: frozenset[VerificationStatus]
    continued: str | None = None  # the chain's opening line, if this continues a chain


def _is_statement(claim: ClaimView) -> bool:
    # A figure's presence does not depend on the language.
    return claim.metric in STATEMENT_METRICS and figure_label(ENGLISH, claim) is None


def _version_text(tr: Tr, claim: ClaimView) -> str:
    text = f"<b>{escape(claim.wording)}</b>" if claim.wording else escape(claim.summary)
    if claim.stated_on:
        text += f" ({tr.date(claim.stated_on)})"
    return text


def _chain_units(tr: Tr, heading: str, chain: Sequence[ClaimView]) -> list[Unit]:
    first = chain[0]
    claimant = first.claimant
    label = f"• <b>{escape(claimant.name)}</b> ({tr.gettext(SIDE_LABELS[claimant.side])})"
    subject = _subject_text(first)
    continued = tr.gettext("{claimant} (continued)").format(claimant=label)
    units = []
    for number, claim in enumerate(chain):
        details = f"    {status_text(tr, claim)} · {reported_text(tr, claim)}"
        if number == 0:
            if claim.wording:
                lead = tr.gettext("{claimant} said:").format(claimant=label) + " "
            else:
                lead = f"{label}: "
            text = f"{lead}{_version_text(tr, claim)}{subject}\n{details}"
        else:
            text = f"    → {_version_text(tr, claim)}\n{details}"
        units.append(Unit(heading, text, frozenset({claim.status}), continued if number else None))
    return units


def subject_adds(claim: ClaimView) -> bool:
    """Whether a claim's subject says whom its wording does not ('63 Russian servicemen'
    already does)."""
    if not (claim.subject and claim.wording):
        return False
    wording = claim.wording.casefold()
    return not any(word in wording for word in claim.subject.casefold().split() if len(word) > 3)


def _subject_text(claim: ClaimView) -> str:
    """' — Russian servicemen' after a figure, unless its wording already says whom."""
    if not (claim.subject and subject_adds(claim)):
        return ""
    return f" — {escape(shorten(claim.subject, STATEMENT_CHARS))}"


def _statement_unit(tr: Tr, claim: ClaimView) -> Unit:
    unverified = claim.status == VerificationStatus.UNVERIFIED
    status = "" if unverified else f" {status_text(tr, claim)} ·"
    said = escape(shorten(claim.summary, STATEMENT_CHARS))
    reported = reported_text(tr, claim)
    text = f"• <b>{escape(claim.claimant.label)}</b>: {said} —{status} {reported}"
    return Unit(OTHER_STATEMENTS, text, frozenset({claim.status}))


def claim_groups(card: EventCard) -> list[tuple[str, list[list[ClaimView]]]]:
    """The card's claims as every view orders them, under their headings: figures grouped
    by measure with each revision chain together, then other statements (one each)."""
    order = {metric: position for position, metric in enumerate(Metric)}
    figures = sorted(
        (c for c in card.claims if not _is_statement(c)), key=lambda c: order[c.metric]
    )
    groups = [
        (METRIC_HEADINGS[metric], _chains(list(group)))
        for metric, group in groupby(figures, key=lambda c: c.metric)
    ]
    statements = [[c] for c in card.claims if _is_statement(c)]
    return [*groups, (OTHER_STATEMENTS, statements)] if statements else groups


def claim_units(tr: Tr, card: EventCard) -> list[Unit]:
    """The card's claims in order: figures grouped by measure, then other statements."""
    if not card.claims:
        return [
            Unit("", tr.gettext("No claims have been recorded for this event yet."), frozenset())
        ]
    units: list[Unit] = []
    for heading, chains in claim_groups(card):
        for chain in chains:
            if heading == OTHER_STATEMENTS:
                units.append(_statement_unit(tr, chain[0]))
            else:
                units += _chain_units(tr, heading, chain)
    return units


def legend(tr: Tr, statuses: Iterable[VerificationStatus], has_assessments: bool) -> str:
    """What the markers on a page mean, in a few words each."""
    shown = [s for s in VerificationStatus if s in set(statuses)]
    parts = [
        f"{STATUS_MARKERS[s]} {status_name(tr, s)}: {tr.gettext(STATUS_SHORT_MEANINGS[s])}"
        for s in shown
    ]
    text = " · ".join(parts)
    if has_assessments:
        text += ". " + tr.gettext("Full reasons: ⚖️ Assessments")
    return f"<i>{text}</i>" if text else ""


# ---------------------------------------------------------------- paging


@dataclass
class _Page:
    blocks: list[str] = field(default_factory=list)
    statuses: set[VerificationStatus] = field(default_factory=set)
    units: int = 0


def _fits(blocks: Sequence[str], limit: int) -> bool:
    return telegram_length("\n\n".join(b for b in blocks if b)) <= limit


def _title(card: EventCard, page: int | None, pages: int | None) -> str:
    title = f"<b>{escape(card.title)}</b>"
    return f"{title} ({page}/{pages})" if page is not None else title


def _unit_text(tr: Tr, unit: Unit, previous: Unit | None, first_on_page: bool) -> str:
    lines = []
    heading = f"<b>{escape(tr.gettext(unit.heading))}</b>" if unit.heading else ""
    if previous is None or unit.heading != previous.heading:
        lines.append(heading)
    elif first_on_page:
        lines.append(tr.gettext("{heading} (continued)").format(heading=heading))
    if first_on_page and unit.continued:
        lines.append(unit.continued)
    return "\n".join([line for line in lines if line] + [unit.text])


def _chain_at(units: Sequence[Unit], start: int) -> list[Unit]:
    """The unit at `start` and the revisions that continue its chain."""
    end = start + 1
    while end < len(units) and units[end].continued is not None:
        end += 1
    return list(units[start:end])


def has_assessments(card: EventCard) -> bool:
    return any(c.assessments for c in card.claims)


def render_card(card: EventCard, focus: Metric | None = None, tr: Tr = ENGLISH) -> list[str]:
    """The claims pages of a card, as one Telegram message whose text its buttons switch.

    Each page keeps within its budget where a single claim allows, and always within
    Telegram's limit. Paging is decided with the unfocused header, so page numbers mean
    the same whatever question led to the card.
    """
    assessed = has_assessments(card)
    placeholder = _title(card, 999, 999)
    header = header_block(tr, card, placeholder)
    pages = [_Page([header])]
    previous: Unit | None = None
    units = claim_units(tr, card)
    opened_by_chain: _Page | None = None  # a page whose first claim opens a revision chain
    for number, unit in enumerate(units):
        page = pages[-1]
        limit = FIRST_PAGE_LIMIT if len(pages) == 1 else CARD_PAGE_LIMIT
        if unit.continued is not None and page is opened_by_chain:
            limit = CARD_PAGE_LIMIT  # the chain stays whole where a page can hold it
        if unit.continued is None and page.units:
            # A revision chain starts a new page rather than break, where a page holds it.
            chain = _chain_at(units, number)
            whole = "\n".join(_unit_text(tr, u, previous if u is unit else u, False) for u in chain)
            statuses = page.statuses.union(*(u.statuses for u in chain))
            if not _fits([*page.blocks, whole, legend(tr, statuses, assessed)], limit) and _fits(
                [placeholder, whole, legend(tr, statuses, assessed)], CARD_PAGE_LIMIT
            ):
                page = _Page([placeholder])
                pages.append(page)
        text = _unit_text(tr, unit, previous, page.units == 0)
        closing = legend(tr, page.statuses | unit.statuses, assessed)
        if not _fits([*page.blocks, text, closing], limit) and (
            page.units or not _fits([*page.blocks, text, closing], CARD_PART_LIMIT)
        ):
            # A page holds at least one claim, unless the header leaves no room for it.
            page = _Page([placeholder])
            pages.append(page)
            text = _unit_text(tr, unit, previous, True)
        if unit.continued and page.units:
            page.blocks[-1] += f"\n{text}"  # the next revision, right under the last
        else:
            page.blocks.append(text)
        if unit.continued is None:
            opened_by_chain = page if page.units == 0 else None
        page.statuses |= unit.statuses
        page.units += 1
        previous = unit
    ending = [related_block(tr, card.related)] if card.related else []
    ending.append(footer(tr))
    last = pages[-1]
    if not _fits([*last.blocks, legend(tr, last.statuses, assessed), *ending], CARD_PAGE_LIMIT):
        pages.append(_Page([placeholder]))
    pages[-1].blocks += ending
    count = len(pages)
    rendered = []
    for number, page in enumerate(pages, start=1):
        title = _title(card, number, count) if count > 1 else _title(card, None, None)
        first = header_block(tr, card, title, focus) if number == 1 else title
        blocks = [first, *page.blocks[1:]]
        closing = legend(tr, page.statuses, assessed)
        if closing:
            blocks.insert(len(blocks) - (len(ending) if number == count else 0), closing)
        text = "\n\n".join(blocks)
        if number == 1 and telegram_length(text) > CARD_PART_LIMIT:
            # The question's measure put a longer line first: keep the page sendable.
            text = text.replace(
                header_block(tr, card, title, focus), header_block(tr, card, title), 1
            )
        rendered.append(text)
    return rendered


def render_card_text(card: EventCard, focus: Metric | None = None, tr: Tr = ENGLISH) -> str:
    """The whole card at once, as the terminal shows it (after `html_to_text`): the
    claims unpaged, then what the About pages hold."""
    blocks = [header_block(tr, card, _title(card, None, None), focus)]
    previous: Unit | None = None
    statuses: set[VerificationStatus] = set()
    for unit in claim_units(tr, card):
        text = _unit_text(tr, unit, previous, False)
        if unit.continued:
            blocks[-1] += f"\n{text}"
        else:
            blocks.append(text)
        statuses |= unit.statuses
        previous = unit
    blocks.append(legend(tr, statuses, False))
    if card.related:
        blocks.append(related_block(tr, card.related))
    about, references = about_blocks(tr, card)
    blocks += [*about, "\n".join(references), footer(tr)]
    return "\n\n".join(b for b in blocks if b)


# ---------------------------------------------------------------- inline mode

COMPACT_CARD_LIMIT = 3500


def render_compact_card(card: EventCard, bot_username: str, tr: Tr = ENGLISH) -> str:
    """One forwardable message (inline mode): the answer and as many claims as fit."""
    message = header_block(tr, card, _title(card, None, None))
    units = claim_units(tr, card)
    previous: Unit | None = None
    shown = 0
    for unit in units:
        candidate = f"{message}\n\n{_unit_text(tr, unit, previous, False)}"
        if telegram_length(candidate) > COMPACT_CARD_LIMIT:
            break
        message, shown, previous = candidate, shown + 1, unit
    if shown < len(units):
        more = tr.gettext("More claims: ask @{username} about “{title}”.").format(
            username=escape(bot_username), title=escape(card.title)
        )
        message += f"\n\n<i>{more}</i>"
    return f"{message}\n\n{footer(tr)}"
