"""Rendering an answer: the event card with every competing claim, as Telegram HTML.

Every piece of text from the database or from a user goes through `escape`;
markup is only ever added here. A card is built from self-contained blocks
(each closes its own tags). In Telegram it is one message, paged with buttons:
the pages split on claim boundaries under a page budget and each is valid HTML.
The terminal chat and `claimbot ask` print the whole card through `html_to_text`.
"""

import datetime as dt
import html
import re
from collections.abc import Iterable, Sequence
from itertools import groupby

from db.queries import (
    AppearanceView,
    ClaimView,
    EventCard,
    EventListing,
    RelatedEventView,
    SourceView,
)
from db.vocabulary import Lifecycle, Metric, Relation, Side, VerificationStatus

# Telegram counts message length in UTF-16 code units after entities are parsed.
TELEGRAM_MESSAGE_LIMIT = 4096
# Room for a "part 2/3" line and anything a handler appends.
CARD_PART_LIMIT = 3900
# One page of a card in Telegram (text length after parsing, UTF-16 units). Load tests
# (tests/load/load_test.py) measured the same throughput for pages of 900 to 3900 units,
# so a page holds as many competing claims side by side as reads well on a phone.
CARD_PAGE_LIMIT = 3000
MAX_APPEARANCES_SHOWN = 4

STATUS_MARKERS: dict[VerificationStatus, str] = {
    VerificationStatus.UNVERIFIED: "⚪",
    VerificationStatus.DISPUTED: "🟠",
    VerificationStatus.CORROBORATED: "🔵",
    VerificationStatus.CONFIRMED: "🟢",
    VerificationStatus.INCONCLUSIVE: "🟤",
    VerificationStatus.MISLEADING: "🟡",
    VerificationStatus.FALSE: "🔴",
}

STATUS_MEANINGS: dict[VerificationStatus, str] = {
    VerificationStatus.UNVERIFIED: "not yet checked by the moderators",
    VerificationStatus.DISPUTED: "contradicted by other credible claims; no side proven",
    VerificationStatus.CORROBORATED: "supported by independent sources, not proven",
    VerificationStatus.CONFIRMED: "verified by the moderators from independent evidence",
    VerificationStatus.INCONCLUSIVE: "checked, but the evidence does not settle it",
    VerificationStatus.MISLEADING: "contains some truth but gives a false impression",
    VerificationStatus.FALSE: "shown to be untrue by the evidence",
}

METRIC_HEADINGS: dict[Metric, str] = {
    Metric.KILLED: "Killed",
    Metric.WOUNDED: "Wounded",
    Metric.KILLED_OR_WOUNDED: "Killed or wounded",
    Metric.PRESENT: "Present at the site",
    Metric.MUNITIONS_FIRED: "Munitions fired",
    Metric.MUNITIONS_DESTROYED: "Munitions shot down or destroyed",
    Metric.MOBILISED: "Mobilised",
    Metric.DAMAGE: "Damage",
    Metric.OTHER: "Other claims",
}

SIDE_LABELS: dict[Side, str] = {
    Side.RUSSIA: "Russia",
    Side.UKRAINE: "Ukraine",
    Side.PRO_RUSSIA: "pro-Russian",
    Side.PRO_UKRAINE: "pro-Ukrainian",
    Side.THIRD_PARTY: "third country",
    Side.INDEPENDENT: "independent",
    Side.UNKNOWN: "side unknown",
}

RELATION_LABELS: dict[tuple[Relation, bool], str] = {
    (Relation.PRESENTED_AS_RETALIATION_FOR, True): "presented as retaliation for",
    (Relation.PRESENTED_AS_RETALIATION_FOR, False): "cited as the reason for",
    (Relation.FOLLOWS, True): "follows",
    (Relation.FOLLOWS, False): "followed by",
    (Relation.RELATED, True): "related to",
    (Relation.RELATED, False): "related to",
}

FOOTER = (
    "<i>Statuses are set by this bot's moderators from the evidence; the bot itself never "
    "picks a winner. See /about.</i>"
)


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def link(text: str, url: str | None) -> str:
    if url is None:
        return escape(text)
    return f'<a href="{escape(url)}">{escape(text)}</a>'


def format_date(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def format_event_dates(card: EventCard | EventListing) -> str | None:
    start = card.start_date
    end = card.end_date if isinstance(card, EventCard) else None
    if start is None:
        return None
    if end is None or end == start:
        return format_date(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {end:%b %Y}"
    return f"{format_date(start)} – {format_date(end)}"


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# ---------------------------------------------------------------- claim lines


def status_text(claim: ClaimView) -> str:
    words = [f"{STATUS_MARKERS[claim.status]} {claim.status.value}"]
    if claim.lifecycle != Lifecycle.CURRENT:
        words.append(claim.lifecycle.value)
    return " · ".join(words)


def appearance_text(appearance: AppearanceView) -> str:
    if appearance.publisher:
        text = link(appearance.publisher, appearance.url)
    elif appearance.url:
        text = link("link", appearance.url)
    else:
        text = f"article {escape(appearance.document or '')}"
    details = []
    if appearance.published_on:
        details.append(format_date(appearance.published_on))
    if appearance.via:
        details.append(f"citing {escape(appearance.via)}")
    return f"{text} ({', '.join(details)})" if details else text


def reported_text(claim: ClaimView) -> str:
    if not claim.appearances:
        return "no report recorded"
    shown = [appearance_text(a) for a in claim.appearances[:MAX_APPEARANCES_SHOWN]]
    hidden = len(claim.appearances) - len(shown)
    if hidden:
        shown.append(f"{hidden} more")
    return "reported by " + "; ".join(shown)


def figure_text(claim: ClaimView) -> str:
    """The figure in the claimant's own wording, or what was said when there is no figure."""
    if claim.wording:
        return f"<b>{escape(claim.wording)}</b>"
    return escape(claim.summary)


def claim_chains(claims: Sequence[ClaimView]) -> list[list[ClaimView]]:
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


def subject_text(claim: ClaimView) -> str:
    """' — Russian servicemen' after a figure, unless its wording already says whom."""
    if not (claim.subject and claim.wording):
        return ""
    wording = claim.wording.casefold()
    if any(word in wording for word in claim.subject.casefold().split() if len(word) > 3):
        return ""
    return f" — {escape(claim.subject)}"


def chain_block(chain: Sequence[ClaimView]) -> str:
    first = chain[0]
    claimant = first.claimant
    versions = []
    for claim in chain:
        version = figure_text(claim)
        if claim.stated_on:
            version += f" ({format_date(claim.stated_on)})"
        versions.append(version)
    label = f"• <b>{escape(claimant.name)}</b> ({SIDE_LABELS[claimant.side]})"
    # A figure is attributed here; a claim without one has its own attribution in the summary.
    lead = f"{label} said: " if first.wording else f"{label}: "
    lines = [lead + " → ".join(versions) + subject_text(first)]
    for claim in chain:
        prefix = f"{escape(claim.wording or claim.summary)}: " if len(chain) > 1 else ""
        lines.append(f"    {prefix}{status_text(claim)} · {reported_text(claim)}")
    return "\n".join(lines)


# ---------------------------------------------------------------- the card


def figure_range(claims: Iterable[ClaimView], metric: Metric) -> str | None:
    """'from 63 to about 400': the lowest and highest stated figure for one metric."""
    numeric = [
        c
        for c in claims
        if c.metric == metric
        and c.lifecycle != Lifecycle.RETRACTED
        and c.wording
        and (c.low is not None or c.high is not None)
    ]
    if not numeric:
        return None
    lowest = min(numeric, key=lambda c: c.low if c.low is not None else c.high or 0)
    highest = max(numeric, key=lambda c: c.high if c.high is not None else c.low or 0)
    if lowest.wording == highest.wording:
        return escape(lowest.wording or "")
    return f"from {escape(lowest.wording or '')} to {escape(highest.wording or '')}"


def summary_line(card: EventCard) -> str:
    claimants = {c.claimant.name for c in card.claims}
    parts = [
        f"{len(card.claims)} claim{'s' * (len(card.claims) != 1)} from "
        f"{len(claimants)} claimant{'s' * (len(claimants) != 1)}"
    ]
    for metric in (Metric.KILLED, Metric.WOUNDED, Metric.KILLED_OR_WOUNDED):
        spread = figure_range(card.claims, metric)
        if spread:
            parts.append(f"{METRIC_HEADINGS[metric].lower()}: {spread}")
    return " · ".join(parts)


def related_block(related: Sequence[RelatedEventView]) -> str:
    lines = ["<b>Related events</b>"]
    lines += [
        f"• {RELATION_LABELS[(r.relation, r.outgoing)]}: {escape(r.title)} (/event {r.slug})"
        for r in related
    ]
    return "\n".join(lines)


def header_block(card: EventCard, title: str | None = None) -> str:
    """Title, dates and place, the event's summary and the claims' summary line."""
    where = ", ".join(escape(p) for p in (card.place, card.region, card.country) if p)
    when = format_event_dates(card)
    header = [title or f"<b>{escape(card.title)}</b>", " · ".join(filter(None, [when, where]))]
    if card.date_note:
        header.append(f"<i>Dates: {escape(card.date_note)}</i>")
    header += [escape(card.summary), summary_line(card)]
    return "\n".join(header)


NO_CLAIMS_TEXT = "No claims have been recorded for this event yet."


def claim_units(card: EventCard) -> list[tuple[Metric | None, str]]:
    """The card's claims as (metric, block) pairs: one block per revision chain, grouped
    by metric in a fixed order; a page break may fall only between two of them."""
    if not card.claims:
        return [(None, NO_CLAIMS_TEXT)]
    order = {metric: position for position, metric in enumerate(Metric)}
    claims = sorted(card.claims, key=lambda c: order[c.metric])
    units: list[tuple[Metric | None, str]] = []
    for metric, group in groupby(claims, key=lambda c: c.metric):
        units += [(metric, chain_block(chain)) for chain in claim_chains(list(group))]
    return units


def card_blocks(card: EventCard) -> list[str]:
    """The whole card: header, claims under their metric headings, related events, footer."""
    blocks = [header_block(card)]
    previous: Metric | None = None
    for metric, block in claim_units(card):
        if metric is not None and metric != previous:
            block = f"<b>{METRIC_HEADINGS[metric]}</b>\n{block}"
        blocks.append(block)
        previous = metric
    if card.related:
        blocks.append(related_block(card.related))
    blocks.append(FOOTER)
    return blocks


def _fits(blocks: Sequence[str], limit: int) -> bool:
    return utf16_length(html_to_text("\n\n".join(blocks))) <= limit


def _page_title(card: EventCard, page: int, pages: int) -> str:
    return f"<b>{escape(card.title)}</b> ({page}/{pages})"


def _headed(metric: Metric | None, block: str, previous: Metric | None, first: bool) -> str:
    """A claim block under its metric's heading where a group starts or continues a page."""
    if metric is None:
        return block
    if metric != previous:
        return f"<b>{METRIC_HEADINGS[metric]}</b>\n{block}"
    if first:
        return f"<b>{METRIC_HEADINGS[metric]}</b> (continued)\n{block}"
    return block


def card_pages(card: EventCard, limit: int = CARD_PAGE_LIMIT) -> list[str]:
    """The card as pages of one Telegram message, each within `limit` (where a single claim
    allows) and never over Telegram's limit.

    Page 1 is the header and as many claims as fit; each later page starts with the title
    and its page number, and repeats the metric heading when it continues a group. Revision
    chains are never split. The related events and the footer end the last page.
    """
    # Measured with a wider page number in the title line than any card will have.
    placeholder = _page_title(card, 999, 999)
    pages: list[list[str]] = []
    current = [header_block(card, placeholder)]
    claims_on_page = 0
    previous: Metric | None = None
    for metric, block in claim_units(card):
        candidate = _headed(metric, block, previous, claims_on_page == 0)
        if not _fits([*current, candidate], limit) and (
            claims_on_page or not _fits([*current, candidate], CARD_PART_LIMIT)
        ):
            # A page holds at least one claim, unless the header leaves no room for it.
            pages.append(current)
            current, claims_on_page = [placeholder], 0
            candidate = _headed(metric, block, previous, True)
        current.append(candidate)
        claims_on_page += 1
        previous = metric
    ending = [related_block(card.related)] if card.related else []
    ending.append(FOOTER)
    if _fits([*current, *ending], limit):
        pages.append(current + ending)
    else:
        pages += [current, [placeholder, *ending]]
    count = len(pages)
    rendered = []
    for number, blocks in enumerate(pages, start=1):
        title = _page_title(card, number, count) if count > 1 else f"<b>{escape(card.title)}</b>"
        first = header_block(card, title) if number == 1 else title
        rendered.append("\n\n".join([first, *blocks[1:]]))
    return rendered


def pack_blocks(
    blocks: Sequence[str], limit: int = CARD_PART_LIMIT, separator: str = "\n\n"
) -> list[str]:
    """Join blocks into as few messages as fit the limit, never splitting a block."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}{separator}{block}" if current else block
        if current and utf16_length(html_to_text(candidate)) > limit:
            messages.append(current)
            current = block
        else:
            current = candidate
    if current:
        messages.append(current)
    return messages


def render_card(card: EventCard) -> list[str]:
    """The card as Telegram HTML pages: one message whose text the page buttons switch."""
    return card_pages(card)


def render_card_text(card: EventCard) -> str:
    """The whole card at once, as the terminal shows it (after `html_to_text`)."""
    return "\n\n".join(card_blocks(card))


def render_candidates_prompt(titles: Sequence[str]) -> str:
    lines = ["Your question fits more than one event. Which one do you mean?"]
    lines += [f"• {escape(title)}" for title in titles]
    return "\n".join(lines)


NO_MATCH_TEXT = (
    "I have no event that matches your question. Try the name of the place and what "
    "happened (for example “Makiivka strike”), or browse all events with /events."
)


def render_no_match(suggestions: Sequence[str]) -> str:
    if not suggestions:
        return NO_MATCH_TEXT
    lines = [NO_MATCH_TEXT, "", "Did you mean:"]
    lines += [f"• {escape(title)}" for title in suggestions]
    return "\n".join(lines)


# ---------------------------------------------------------------- plain text

_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def html_to_text(markup: str) -> str:
    """What a reader sees of our own HTML: links keep their address, tags go."""

    def keep_address(match: re.Match[str]) -> str:
        url, text = html.unescape(match.group(1)), match.group(2)
        return text if html.unescape(text) == url else f"{text} ({escape(url)})"

    return html.unescape(_TAG.sub("", _LINK.sub(keep_address, markup)))


# ---------------------------------------------------------------- other screens

COMPACT_CARD_LIMIT = 3500


def render_compact_card(card: EventCard, bot_username: str) -> str:
    """One forwardable message (inline mode): the header and as many claims as fit."""
    blocks = card_blocks(card)
    header, claim_blocks = blocks[0], blocks[1:-1]
    message = header
    shown = 0
    for block in claim_blocks:
        candidate = f"{message}\n\n{block}"
        if utf16_length(html_to_text(candidate)) > COMPACT_CARD_LIMIT:
            break
        message, shown = candidate, shown + 1
    if shown < len(claim_blocks):
        message += (
            f"\n\n<i>More claims: ask @{escape(bot_username)} about “{escape(card.title)}”.</i>"
        )
    return f"{message}\n\n{FOOTER}"


def render_events_page(events: Sequence[EventListing], page: int, pages: int) -> str:
    lines = [f"<b>Events</b> (page {page + 1} of {max(pages, 1)})"]
    if not events:
        lines.append("No events have been recorded yet.")
    for event in events:
        when = format_event_dates(event)
        details = " · ".join(filter(None, [when, escape(event.place)]))
        lines.append(
            f"• <b>{escape(event.title)}</b>\n    {details} · {event.claim_count} claims · "
            f"/event {event.slug}"
        )
    lines.append("\nTap an event to see its claims.")
    return "\n".join(lines)


def render_sources(sources: Sequence[SourceView]) -> list[str]:
    blocks = ["<b>Sources</b>\nWho made the claims and who reported them, with their side."]
    blocks += [
        f"• <b>{escape(s.name)}</b> — {s.kind.value.replace('_', ' ')}, {SIDE_LABELS[s.side]}"
        for s in sources
    ]
    return pack_blocks(blocks, separator="\n")


def render_about() -> str:
    lines = [
        "<b>How claimbot keeps claims</b>",
        "For each event it lists every claim it has recorded, side by side: who made it, "
        "who reported it, when, and how far it has been verified. Figures are kept in the "
        "claimant's own words. A revised figure is shown after the one it replaces, which "
        "is marked superseded (replaced, not false).",
        "",
        "Statuses are set by the bot's moderators, each with a reason, and every change is "
        "kept in an audit log. The bot never decides which side is right on its own.",
        "",
        "<b>Statuses</b>",
    ]
    lines += [
        f"{STATUS_MARKERS[status]} <b>{status.value}</b>: {STATUS_MEANINGS[status]}"
        for status in VerificationStatus
    ]
    return "\n".join(lines)


START_TEXT = (
    "<b>claimbot</b> answers questions about contested events with <b>every</b> competing "
    "claim: who said it, who reported it, and how far it has been verified.\n\n"
    "Ask in your own words, in any language or spelling, for example "
    "“how many died at Makiivka?”. Or try one of these:"
)

HELP_TEXT = (
    "<b>Ask a question</b> in plain words: “how many died at Makiivka?”, "
    "“makeevka death toll”, “скільки загинуло в Макіївці?”.\n\n"
    "<b>Commands</b>\n"
    "/events — browse all events\n"
    "/event SLUG — one event's claims, e.g. /event makiivka-strike\n"
    "/sources — who made and reported the claims\n"
    "/about — what the statuses mean\n\n"
    "<b>In groups</b> I answer /ask QUESTION, messages that mention me and replies to me.\n"
    "<b>Anywhere</b>: type @{username} and an event to share its claims."
)
