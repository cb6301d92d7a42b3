"""Rendering an answer: the event card with every competing claim, as Telegram HTML.

Every piece of text from the database or from a user goes through `escape`;
markup is only ever added here. A card is built from self-contained blocks
(each closes its own tags) and packed into messages under Telegram's limit,
so a long card splits on claim boundaries and every part is valid HTML.
The terminal chat and `claimbot ask` print the same card through `html_to_text`.
"""

import datetime as dt
import html
import re
from collections.abc import Iterable, Sequence
from itertools import groupby

from db.queries import AppearanceView, ClaimView, EventCard, EventListing, RelatedEventView
from db.vocabulary import Lifecycle, Metric, Relation, Side, VerificationStatus

# Telegram counts message length in UTF-16 code units after entities are parsed.
TELEGRAM_MESSAGE_LIMIT = 4096
# Room for a "part 2/3" line and anything a handler appends.
CARD_PART_LIMIT = 3900
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


def chain_block(chain: Sequence[ClaimView]) -> str:
    first = chain[0]
    claimant = first.claimant
    versions = []
    for claim in chain:
        version = figure_text(claim)
        if claim.stated_on:
            version += f" ({format_date(claim.stated_on)})"
        versions.append(version)
    subject = f" — {escape(first.subject)}" if first.subject and first.wording else ""
    lines = [
        f"• <b>{escape(claimant.name)}</b> ({SIDE_LABELS[claimant.side]}) said: "
        + " → ".join(versions)
        + subject
    ]
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


def card_blocks(card: EventCard) -> list[str]:
    where = ", ".join(escape(p) for p in (card.place, card.region, card.country) if p)
    when = format_event_dates(card)
    header = [f"<b>{escape(card.title)}</b>", " · ".join(filter(None, [when, where]))]
    if card.date_note:
        header.append(f"<i>Dates: {escape(card.date_note)}</i>")
    header += [escape(card.summary), summary_line(card)]
    blocks = ["\n".join(header)]
    if not card.claims:
        blocks.append("No claims have been recorded for this event yet.")
    order = {metric: position for position, metric in enumerate(Metric)}
    claims = sorted(card.claims, key=lambda c: order[c.metric])
    for metric, group in groupby(claims, key=lambda c: c.metric):
        chains = claim_chains(list(group))
        blocks.append(f"<b>{METRIC_HEADINGS[metric]}</b>\n" + chain_block(chains[0]))
        blocks.extend(chain_block(chain) for chain in chains[1:])
    if card.related:
        blocks.append(related_block(card.related))
    blocks.append(FOOTER)
    return blocks


def pack_blocks(blocks: Sequence[str], limit: int = CARD_PART_LIMIT) -> list[str]:
    """Join blocks into as few messages as fit the limit, never splitting a block."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}\n\n{block}" if current else block
        if current and utf16_length(html_to_text(candidate)) > limit:
            messages.append(current)
            current = block
        else:
            current = candidate
    if current:
        messages.append(current)
    return messages


def render_card(card: EventCard) -> list[str]:
    """The card as one or more Telegram HTML messages, each within the length limit."""
    return pack_blocks(card_blocks(card))


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
