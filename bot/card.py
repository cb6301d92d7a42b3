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
from bot.references import appearance_label
from bot.rendering import (
    CARD_PAGE_LIMIT,
    CARD_PART_LIMIT,
    FOOTER,
    METRIC_HEADINGS,
    SIDE_LABELS,
    STATUS_MARKERS,
    STATUS_SHORT_MEANINGS,
    escape,
    format_date,
    format_event_dates,
    link,
    related_block,
    shorten,
    telegram_length,
)
from db.queries import AssessmentView, ClaimView, EventCard
from db.vocabulary import Lifecycle, Metric, Qualifier, VerificationStatus

# Page 1 is one phone screen: the answer and the largest claims. Later pages hold more
# (load tests measured the same throughput for pages of 900 to 3900 units).
FIRST_PAGE_LIMIT = 1100

MAX_APPEARANCES_SHOWN = 4
SUMMARY_METRICS = 4  # "per X" lines on page 1
SUMMARY_ITEMS = 5  # figures on one such line
SUMMARY_NAMES = 2  # claimants named for one figure
SUMMARY_LINE_CHARS = 400
FIGURE_CHARS = 40
REASON_CHARS = 80
STATEMENT_CHARS = 240

# Statuses whose reason the card gives beside them; the others explain themselves.
REASONED = frozenset(
    {
        VerificationStatus.DISPUTED,
        VerificationStatus.FALSE,
        VerificationStatus.CONFIRMED,
        VerificationStatus.MISLEADING,
        VerificationStatus.CORROBORATED,
        VerificationStatus.INCONCLUSIVE,
    }
)
# Metrics whose claims without a figure are compact "Other statements".
STATEMENT_METRICS = frozenset({Metric.OTHER, Metric.DAMAGE})
OTHER_STATEMENTS = "Other statements"
NO_CLAIMS_TEXT = "No claims have been recorded for this event yet."

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


# ---------------------------------------------------------------- figures and statuses


def figure_label(claim: ClaimView) -> str | None:
    """The figure in a few words ('about 400', 'more than 600'); None for no figure."""
    low, high = claim.low, claim.high
    match claim.qualifier:
        case Qualifier.EXACT if low is not None:
            return f"{low:,}"
        case Qualifier.APPROX if low is not None:
            return f"about {low:,}"
        case Qualifier.AT_LEAST if low is not None:
            return f"at least {low:,}"
        case Qualifier.MORE_THAN if low is not None:
            return f"more than {low:,}"
        case Qualifier.UP_TO if high is not None:
            return f"up to {high:,}"
        case Qualifier.RANGE if low is not None and high is not None:
            return f"{low:,}–{high:,}"
        case Qualifier.VAGUE if claim.wording:
            words = re.sub(r"^(?:in the|some|the)\s+", "", claim.wording.strip(), flags=re.I)
            return shorten(words[:1].lower() + words[1:], FIGURE_CHARS)
    # A denial or verdict ("none") is a statement, never a figure or a bound.
    return None


def latest_assessment(claim: ClaimView) -> AssessmentView | None:
    return claim.assessments[-1] if claim.assessments else None


def reason_text(claim: ClaimView) -> str | None:
    """The status's reason in a few words: the assessment's own, else its rationale cut."""
    latest = latest_assessment(claim)
    if claim.status not in REASONED or latest is None or latest.status != claim.status:
        return None
    if latest.reason:
        return latest.reason
    return shorten(latest.rationale, REASON_CHARS) if latest.rationale else None


def status_text(claim: ClaimView) -> str:
    text = f"{STATUS_MARKERS[claim.status]} {claim.status.value}"
    reason = reason_text(claim)
    if reason:
        text += f": {escape(reason)}"
    if claim.lifecycle != Lifecycle.CURRENT:
        text += f" · {claim.lifecycle.value}"
    return text


def reported_text(claim: ClaimView) -> str:
    if not claim.appearances:
        return "no report recorded"
    shown = []
    for appearance in claim.appearances[:MAX_APPEARANCES_SHOWN]:
        text = link(appearance_label(appearance), appearance.url)
        details = []
        if appearance.figure_wording:
            details.append(f"as “{escape(shorten(appearance.figure_wording, FIGURE_CHARS))}”")
        if appearance.via:
            details.append(f"citing {escape(shorten(appearance.via, FIGURE_CHARS))}")
        shown.append(f"{text} ({', '.join(details)})" if details else text)
    hidden = len(claim.appearances) - len(shown)
    if hidden:
        shown.append(f"{hidden} more")
    return "; ".join(shown)


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


def summary_line(card: EventCard, metric: Metric) -> str | None:
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
        figure = figure_label(claim)
        if figure is None:
            continue
        names = items.setdefault(figure, [])
        name = shorten(claim.claimant.label, FIGURE_CHARS)
        # The figure it replaced; the whole chain is in the claims below.
        earlier = [figure_label(c) for c in chain if c.lifecycle == Lifecycle.SUPERSEDED]
        earlier_text = f"; earlier {earlier[-1]}" if earlier and earlier[-1] else ""
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
        parts.append(f"+{len(items) - len(parts)} more")
    return f"<b>{METRIC_HEADINGS[metric]}</b>: " + " · ".join(parts)


def answer_lines(card: EventCard, focus: Metric | None = None) -> list[str]:
    """The 'per X' lines, the measure asked about first."""
    order = [m for m in Metric if m != Metric.OTHER]
    if focus in order:
        order.remove(focus)
        order.insert(0, focus)
    lines = [line for m in order if (line := summary_line(card, m))]
    return lines[:SUMMARY_METRICS]


def header_block(card: EventCard, title: str, focus: Metric | None = None) -> str:
    where = ", ".join(escape(p) for p in (card.place, card.region, card.country) if p)
    when = format_event_dates(card)
    lines = [title, " · ".join(filter(None, [when, where]))]
    return "\n".join([*lines, *answer_lines(card, focus)])


# ---------------------------------------------------------------- claim units


@dataclass(frozen=True)
class Unit:
    """The smallest piece of a card's claims a page may break after."""

    heading: str  # the group's heading, repeated with "(continued)" on a new page
    text: str
    statuses: frozenset[VerificationStatus]
    continued: str | None = None  # the chain's opening line, if this continues a chain


def _is_statement(claim: ClaimView) -> bool:
    return claim.metric in STATEMENT_METRICS and figure_label(claim) is None


def _version_text(claim: ClaimView) -> str:
    text = f"<b>{escape(claim.wording)}</b>" if claim.wording else escape(claim.summary)
    if claim.stated_on:
        text += f" ({format_date(claim.stated_on)})"
    return text


def _chain_units(heading: str, chain: Sequence[ClaimView]) -> list[Unit]:
    first = chain[0]
    claimant = first.claimant
    label = f"• <b>{escape(claimant.name)}</b> ({SIDE_LABELS[claimant.side]})"
    subject = _subject_text(first)
    units = []
    for number, claim in enumerate(chain):
        details = f"    {status_text(claim)} · {reported_text(claim)}"
        if number == 0:
            lead = f"{label} said: " if claim.wording else f"{label}: "
            text = f"{lead}{_version_text(claim)}{subject}\n{details}"
        else:
            text = f"    → {_version_text(claim)}\n{details}"
        units.append(
            Unit(
                heading, text, frozenset({claim.status}), f"{label} (continued)" if number else None
            )
        )
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


def _statement_unit(claim: ClaimView) -> Unit:
    status = "" if claim.status == VerificationStatus.UNVERIFIED else f" {status_text(claim)} ·"
    said = escape(shorten(claim.summary, STATEMENT_CHARS))
    text = f"• <b>{escape(claim.claimant.label)}</b>: {said} —{status} {reported_text(claim)}"
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


def claim_units(card: EventCard) -> list[Unit]:
    """The card's claims in order: figures grouped by measure, then other statements."""
    if not card.claims:
        return [Unit("", NO_CLAIMS_TEXT, frozenset())]
    units: list[Unit] = []
    for heading, chains in claim_groups(card):
        for chain in chains:
            if heading == OTHER_STATEMENTS:
                units.append(_statement_unit(chain[0]))
            else:
                units += _chain_units(heading, chain)
    return units


def legend(statuses: Iterable[VerificationStatus], has_assessments: bool) -> str:
    """What the markers on a page mean, in a few words each."""
    shown = [s for s in VerificationStatus if s in set(statuses)]
    parts = [f"{STATUS_MARKERS[s]} {s.value}: {STATUS_SHORT_MEANINGS[s]}" for s in shown]
    text = " · ".join(parts)
    if has_assessments:
        text += ". Full reasons: ⚖️ Assessments"
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


def _unit_text(unit: Unit, previous: Unit | None, first_on_page: bool) -> str:
    lines = []
    if previous is None or unit.heading != previous.heading:
        lines.append(f"<b>{escape(unit.heading)}</b>" if unit.heading else "")
    elif first_on_page:
        lines.append(f"<b>{escape(unit.heading)}</b> (continued)")
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


def render_card(card: EventCard, focus: Metric | None = None) -> list[str]:
    """The claims pages of a card, as one Telegram message whose text its buttons switch.

    Each page keeps within its budget where a single claim allows, and always within
    Telegram's limit. Paging is decided with the unfocused header, so page numbers mean
    the same whatever question led to the card.
    """
    assessed = has_assessments(card)
    placeholder = _title(card, 999, 999)
    header = header_block(card, placeholder)
    pages = [_Page([header])]
    previous: Unit | None = None
    units = claim_units(card)
    opened_by_chain: _Page | None = None  # a page whose first claim opens a revision chain
    for number, unit in enumerate(units):
        page = pages[-1]
        limit = FIRST_PAGE_LIMIT if len(pages) == 1 else CARD_PAGE_LIMIT
        if unit.continued is not None and page is opened_by_chain:
            limit = CARD_PAGE_LIMIT  # the chain stays whole where a page can hold it
        if unit.continued is None and page.units:
            # A revision chain starts a new page rather than break, where a page holds it.
            chain = _chain_at(units, number)
            whole = "\n".join(_unit_text(u, previous if u is unit else u, False) for u in chain)
            statuses = page.statuses.union(*(u.statuses for u in chain))
            if not _fits([*page.blocks, whole, legend(statuses, assessed)], limit) and _fits(
                [placeholder, whole, legend(statuses, assessed)], CARD_PAGE_LIMIT
            ):
                page = _Page([placeholder])
                pages.append(page)
        text = _unit_text(unit, previous, page.units == 0)
        closing = legend(page.statuses | unit.statuses, assessed)
        if not _fits([*page.blocks, text, closing], limit) and (
            page.units or not _fits([*page.blocks, text, closing], CARD_PART_LIMIT)
        ):
            # A page holds at least one claim, unless the header leaves no room for it.
            page = _Page([placeholder])
            pages.append(page)
            text = _unit_text(unit, previous, True)
        if unit.continued and page.units:
            page.blocks[-1] += f"\n{text}"  # the next revision, right under the last
        else:
            page.blocks.append(text)
        if unit.continued is None:
            opened_by_chain = page if page.units == 0 else None
        page.statuses |= unit.statuses
        page.units += 1
        previous = unit
    ending = [related_block(card.related)] if card.related else []
    ending.append(FOOTER)
    last = pages[-1]
    if not _fits([*last.blocks, legend(last.statuses, assessed), *ending], CARD_PAGE_LIMIT):
        pages.append(_Page([placeholder]))
    pages[-1].blocks += ending
    count = len(pages)
    rendered = []
    for number, page in enumerate(pages, start=1):
        title = _title(card, number, count) if count > 1 else _title(card, None, None)
        first = header_block(card, title, focus) if number == 1 else title
        blocks = [first, *page.blocks[1:]]
        closing = legend(page.statuses, assessed)
        if closing:
            blocks.insert(len(blocks) - (len(ending) if number == count else 0), closing)
        text = "\n\n".join(blocks)
        if number == 1 and telegram_length(text) > CARD_PART_LIMIT:
            # The question's measure put a longer line first: keep the page sendable.
            text = text.replace(header_block(card, title, focus), header_block(card, title), 1)
        rendered.append(text)
    return rendered


def render_card_text(card: EventCard, focus: Metric | None = None) -> str:
    """The whole card at once, as the terminal shows it (after `html_to_text`): the
    claims unpaged, then what the About pages hold."""
    blocks = [header_block(card, _title(card, None, None), focus)]
    previous: Unit | None = None
    statuses: set[VerificationStatus] = set()
    for unit in claim_units(card):
        text = _unit_text(unit, previous, False)
        if unit.continued:
            blocks[-1] += f"\n{text}"
        else:
            blocks.append(text)
        statuses |= unit.statuses
        previous = unit
    blocks.append(legend(statuses, False))
    if card.related:
        blocks.append(related_block(card.related))
    about, references = about_blocks(card)
    blocks += [*about, "\n".join(references), FOOTER]
    return "\n\n".join(b for b in blocks if b)


# ---------------------------------------------------------------- inline mode

COMPACT_CARD_LIMIT = 3500


def render_compact_card(card: EventCard, bot_username: str) -> str:
    """One forwardable message (inline mode): the answer and as many claims as fit."""
    message = header_block(card, _title(card, None, None))
    units = claim_units(card)
    previous: Unit | None = None
    shown = 0
    for unit in units:
        candidate = f"{message}\n\n{_unit_text(unit, previous, False)}"
        if telegram_length(candidate) > COMPACT_CARD_LIMIT:
            break
        message, shown, previous = candidate, shown + 1, unit
    if shown < len(units):
        message += (
            f"\n\n<i>More claims: ask @{escape(bot_username)} about “{escape(card.title)}”.</i>"
        )
    return f"{message}\n\n{FOOTER}"
