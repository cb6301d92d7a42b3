"""Rendering replies as Telegram HTML: shared words and helpers, and every screen but the
event card (`bot/card.py`) and the references it names (`bot/references.py`).

Every piece of text from the database or from a user goes through `escape`;
markup is only ever added here and in those two modules. The terminal chat and
`claimbot ask` print replies through `html_to_text`.
"""

import html
import re
from collections.abc import Sequence

from bot.i18n import ENGLISH, N_, Tr
from db.queries import (
    EventCard,
    EventListing,
    RelatedEventView,
    SourceView,
)
from db.vocabulary import Lifecycle, Metric, Relation, Side, SourceKind, VerificationStatus

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
    VerificationStatus.UNVERIFIED: N_("not yet checked"),
    VerificationStatus.DISPUTED: N_("contradicted, not settled"),
    VerificationStatus.CORROBORATED: N_("supported, not proven"),
    VerificationStatus.CONFIRMED: N_("verified"),
    VerificationStatus.INCONCLUSIVE: N_("checked, unsettled"),
    VerificationStatus.MISLEADING: N_("gives a false impression"),
    VerificationStatus.FALSE: N_("shown untrue"),
}

STATUS_MEANINGS: dict[VerificationStatus, str] = {
    VerificationStatus.UNVERIFIED: N_("not yet checked by the moderators"),
    VerificationStatus.DISPUTED: N_("contradicted by other credible claims; no side proven"),
    VerificationStatus.CORROBORATED: N_("supported by independent sources, not proven"),
    VerificationStatus.CONFIRMED: N_("verified by the moderators from independent evidence"),
    VerificationStatus.INCONCLUSIVE: N_("checked, but the evidence does not settle it"),
    VerificationStatus.MISLEADING: N_("contains some truth but gives a false impression"),
    VerificationStatus.FALSE: N_("shown to be untrue by the evidence"),
}

METRIC_HEADINGS: dict[Metric, str] = {
    Metric.KILLED: N_("Killed"),
    Metric.WOUNDED: N_("Wounded"),
    Metric.KILLED_OR_WOUNDED: N_("Killed or wounded"),
    Metric.PRESENT: N_("Present at the site"),
    Metric.MUNITIONS_FIRED: N_("Munitions fired"),
    Metric.MUNITIONS_DESTROYED: N_("Munitions shot down or destroyed"),
    Metric.MOBILISED: N_("Mobilised"),
    Metric.DAMAGE: N_("Damage"),
    Metric.OTHER: N_("Other claims"),
}

SIDE_LABELS: dict[Side, str] = {
    Side.RUSSIA: N_("Russia"),
    Side.UKRAINE: N_("Ukraine"),
    Side.PRO_RUSSIA: N_("pro-Russian"),
    Side.PRO_UKRAINE: N_("pro-Ukrainian"),
    Side.THIRD_PARTY: N_("third country"),
    Side.INDEPENDENT: N_("independent"),
    Side.UNKNOWN: N_("side unknown"),
}

RELATION_LABELS: dict[tuple[Relation, bool], str] = {
    (Relation.PRESENTED_AS_RETALIATION_FOR, True): N_("presented as retaliation for"),
    (Relation.PRESENTED_AS_RETALIATION_FOR, False): N_("cited as the reason for"),
    (Relation.FOLLOWS, True): N_("follows"),
    (Relation.FOLLOWS, False): N_("followed by"),
    (Relation.RELATED, True): N_("related to"),
    (Relation.RELATED, False): N_("related to"),
}

STATUS_NAMES: dict[VerificationStatus, str] = {
    VerificationStatus.UNVERIFIED: N_("unverified"),
    VerificationStatus.DISPUTED: N_("disputed"),
    VerificationStatus.CORROBORATED: N_("corroborated"),
    VerificationStatus.CONFIRMED: N_("confirmed"),
    VerificationStatus.INCONCLUSIVE: N_("inconclusive"),
    VerificationStatus.MISLEADING: N_("misleading"),
    VerificationStatus.FALSE: N_("false"),
}

LIFECYCLE_NAMES: dict[Lifecycle, str] = {
    Lifecycle.CURRENT: N_("current"),
    Lifecycle.SUPERSEDED: N_("superseded"),
    Lifecycle.RETRACTED: N_("retracted"),
}

SOURCE_KIND_NAMES: dict[SourceKind, str] = {
    SourceKind.GOVERNMENT: N_("government"),
    SourceKind.ARMED_FORCES: N_("armed forces"),
    SourceKind.OFFICIAL: N_("official"),
    SourceKind.NEWS_OUTLET: N_("news outlet"),
    SourceKind.MONITOR: N_("monitor"),
    SourceKind.BLOGGER: N_("blogger"),
    SourceKind.INDIVIDUAL: N_("individual"),
}


def footer(tr: Tr) -> str:
    text = tr.gettext(
        "Statuses are set by this bot's moderators from the evidence; the bot itself never "
        "picks a winner. See /about."
    )
    return f"<i>{text}</i>"


def status_name(tr: Tr, status: VerificationStatus) -> str:
    return tr.gettext(STATUS_NAMES[status])


def claim_count(tr: Tr, n: int) -> str:
    """'1 claim', '5 claims' ('5 заяв'): the count in the language's plural form."""
    return tr.ngettext("{count} claim", "{count} claims", n).format(count=tr.number(n))


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def link(text: str, url: str | None) -> str:
    if url is None:
        return escape(text)
    return f'<a href="{escape(url)}">{escape(text)}</a>'


def format_event_dates(tr: Tr, card: EventCard | EventListing) -> str | None:
    start = card.start_date
    end = card.end_date if isinstance(card, EventCard) else None
    if start is None:
        return None
    if end is None or end == start:
        return tr.date(start)
    return tr.day_range(start, end)


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


def related_block(tr: Tr, related: Sequence[RelatedEventView]) -> str:
    heading = tr.gettext("Related events")
    lines = [f"<b>{heading}</b>"]
    lines += [
        f"• {tr.gettext(RELATION_LABELS[(r.relation, r.outgoing)])}: "
        f"{escape(shorten(r.title, 80))} (/event {r.slug})"
        for r in related[:MAX_RELATED_SHOWN]
    ]
    hidden = len(related) - MAX_RELATED_SHOWN
    if hidden > 0:
        lines.append("• " + tr.gettext("and {count} more").format(count=tr.number(hidden)))
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


def render_candidates_prompt(titles: Sequence[str], tr: Tr = ENGLISH) -> str:
    if len(titles) == 1:
        lines = [
            tr.gettext("I am not sure your question is about this event. Is it the one you mean?")
        ]
    else:
        lines = [tr.gettext("Your question fits more than one event. Which one do you mean?")]
    lines += [f"• {escape(title)}" for title in titles]
    return "\n".join(lines)


def no_match_text(tr: Tr) -> str:
    return tr.gettext(
        "I have no event that matches your question. Try the name of the place and what "
        "happened (for example “Makiivka strike”), or browse all events with /events."
    )


def render_no_match(suggestions: Sequence[str], tr: Tr = ENGLISH) -> str:
    if not suggestions:
        return no_match_text(tr)
    lines = [no_match_text(tr), "", tr.gettext("Did you mean:")]
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


def render_events_page(
    events: Sequence[EventListing], page: int, pages: int, tr: Tr = ENGLISH
) -> str:
    heading = tr.gettext("Events")
    numbers = tr.gettext("page {page} of {pages}").format(
        page=tr.number(page + 1), pages=tr.number(max(pages, 1))
    )
    lines = [f"<b>{heading}</b> ({numbers})"]
    if not events:
        lines.append(tr.gettext("No events have been recorded yet."))
    for event in events:
        when = format_event_dates(tr, event)
        details = " · ".join(filter(None, [when, escape(event.place)]))
        count = claim_count(tr, event.claim_count)
        lines.append(
            f"• <b>{escape(event.title)}</b>\n    {details} · {count} · /event {event.slug}"
        )
    lines.append("\n" + tr.gettext("Tap an event to see its claims."))
    return "\n".join(lines)


def render_sources(sources: Sequence[SourceView], tr: Tr = ENGLISH) -> list[str]:
    heading = tr.gettext("Sources")
    intro = tr.gettext("Who made the claims and who reported them, with their side.")
    blocks = [f"<b>{heading}</b>\n{intro}"]
    blocks += [
        f"• <b>{escape(s.name)}</b> — {tr.gettext(SOURCE_KIND_NAMES[s.kind])}, "
        f"{tr.gettext(SIDE_LABELS[s.side])}"
        for s in sources
    ]
    return pack_blocks(blocks, separator="\n")


def render_about(tr: Tr = ENGLISH) -> str:
    lines = [
        "<b>" + tr.gettext("How claimbot keeps claims") + "</b>",
        tr.gettext(
            "For each event it lists every claim it has recorded, side by side: who made it, "
            "who reported it, when, and how far it has been verified. Figures are kept in the "
            "claimant's own words. A revised figure is shown after the one it replaces, which "
            "is marked superseded (replaced, not false)."
        ),
        "",
        tr.gettext(
            "Statuses are set by the bot's moderators, each with a reason, and every change is "
            "kept in an audit log. The bot never decides which side is right on its own."
        ),
        "",
        "<b>" + tr.gettext("Statuses") + "</b>",
    ]
    lines += [
        f"{STATUS_MARKERS[status]} <b>{status_name(tr, status)}</b>: "
        f"{tr.gettext(STATUS_MEANINGS[status])}"
        for status in VerificationStatus
    ]
    return "\n".join(lines)


def start_text(tr: Tr) -> str:
    return tr.gettext(
        "<b>claimbot</b> answers questions about contested events with <b>every</b> competing "
        "claim: who said it, who reported it, and how far it has been verified.\n\n"
        "Ask in your own words, in any language or spelling, for example "
        "“how many died at Makiivka?”. Or try one of these:"
    )


def help_text(tr: Tr, username: str) -> str:
    return tr.gettext(
        "<b>Ask a question</b> in plain words: “how many died at Makiivka?”, "
        "“makeevka death toll”, “скільки загинуло в Макіївці?”.\n\n"
        "<b>Commands</b>\n"
        "/events — browse all events\n"
        "/event SLUG — one event's claims, e.g. /event makiivka-strike\n"
        "/sources — who made and reported the claims\n"
        "/about — what the statuses mean\n"
        "/language — the language I answer in\n\n"
        "<b>In groups</b> I answer /ask QUESTION, messages that mention me and replies to me.\n"
        "<b>Anywhere</b>: type @{username} and an event to share its claims."
    ).format(username=username)
