"""Rendering replies as Telegram HTML: shared words and helpers, and every screen but the
event card (`bot/card.py`) and the references it names (`bot/references.py`).

Every piece of text from the database or from a user goes through `escape`;
markup is only ever added here and in those two modules. The terminal chat and
`claimbot ask` print replies through `html_to_text`.
"""

import datetime as dt
import html
import re
from collections.abc import Sequence

from db.queries import (
    EventCard,
    EventListing,
    RelatedEventView,
    SourceView,
)
from db.vocabulary import Metric, Relation, Side, VerificationStatus

# Telegram counts message length in UTF-16 code units after entities are parsed.
TELEGRAM_MESSAGE_LIMIT = 4096
MAX_RELATED_SHOWN = 5
# One page of a card after the first (text length after parsing, UTF-16 units). Load tests
# (tests/load/load_test.py) measured the same throughput for pages of 900 to 3900 units.
CARD_PAGE_LIMIT = 3000
# What any one message may hold: room for a "part 2/3" line and anything a handler appends.
CARD_PART_LIMIT = 3900

STATUS_MARKERS: dict[VerificationStatus, str] = {
    VerificationStatus.UNVERIFIED: "⚪",
    VerificationStatus.DISPUTED: "🟠",
    VerificationStatus.CORROBORATED: "🔵",
    VerificationStatus.CONFIRMED: "🟢",
    VerificationStatus.INCONCLUSIVE: "🟤",
    VerificationStatus.MISLEADING: "🟡",
    VerificationStatus.FALSE: "🔴",
}

# The legend under each page of a card.
STATUS_SHORT_MEANINGS: dict[VerificationStatus, str] = {
    VerificationStatus.UNVERIFIED: "not yet checked",
    VerificationStatus.DISPUTED: "contradicted, not settled",
    VerificationStatus.CORROBORATED: "supported, not proven",
    VerificationStatus.CONFIRMED: "verified",
    VerificationStatus.INCONCLUSIVE: "checked, unsettled",
    VerificationStatus.MISLEADING: "gives a false impression",
    VerificationStatus.FALSE: "shown untrue",
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


def telegram_length(markup: str) -> int:
    """A message's length as Telegram limits it: its text after parsing, in UTF-16 units
    (a link's address is not part of the text)."""
    return utf16_length(html.unescape(_TAG.sub("", markup)))


def shorten(text: str, limit: int) -> str:
    """`text`, or its first words within `limit` characters followed by '…'."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:") + "…"


def related_block(related: Sequence[RelatedEventView]) -> str:
    lines = ["<b>Related events</b>"]
    lines += [
        f"• {RELATION_LABELS[(r.relation, r.outgoing)]}: {escape(shorten(r.title, 80))} "
        f"(/event {r.slug})"
        for r in related[:MAX_RELATED_SHOWN]
    ]
    if len(related) > MAX_RELATED_SHOWN:
        lines.append(f"• and {len(related) - MAX_RELATED_SHOWN} more")
    return "\n".join(lines)


def pack_blocks(
    blocks: Sequence[str], limit: int = CARD_PART_LIMIT, separator: str = "\n\n"
) -> list[str]:
    """Join blocks into as few messages as fit the limit, never splitting a block."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}{separator}{block}" if current else block
        if current and telegram_length(candidate) > limit:
            messages.append(current)
            current = block
        else:
            current = candidate
    if current:
        messages.append(current)
    return messages


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
