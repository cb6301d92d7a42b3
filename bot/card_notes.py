"""The pages behind an event card's buttons: "About this event" (the summary, notes on
dates, full references) and "Assessments" (each assessed claim's status in full).

Like the card's own pages, each fits a Telegram message whatever the data holds: long
text is cut between words over as many pages as it needs.
"""

from bot.i18n import ENGLISH, Tr
from bot.references import document_label, document_reference
from bot.rendering import (
    CARD_PAGE_LIMIT,
    STATUS_MARKERS,
    escape,
    link,
    pack_blocks,
    shorten,
    status_name,
    telegram_length,
    utf16_length,
)
from db.queries import ClaimView, DocumentView, EventCard

STATEMENT_CHARS = 240
NAME_CHARS = 60
RATIONALE_PIECE = 1500  # UTF-16 units of a rationale in one block
MAX_CITED_SHOWN = 3
MAX_EVIDENCE_SHOWN = 3
MAX_EARLIER_SHOWN = 3


def _paragraphs(text: str, limit: int) -> list[str]:
    """Plain text cut at spaces into pieces of at most `limit` UTF-16 units, escaped."""
    pieces: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and utf16_length(candidate) > limit:
            pieces.append(current)
            candidate = word
        while utf16_length(candidate) > limit:  # one word longer than a page
            cut = limit // 2  # a character is at most 2 units
            pieces.append(candidate[:cut])
            candidate = candidate[cut:]
        current = candidate
    return [escape(piece) for piece in [*pieces, current] if piece]


def about_blocks(tr: Tr, card: EventCard) -> tuple[list[str], list[str]]:
    """The About pages' paragraphs (title first) and their list of references."""
    title = f"<b>{escape(card.title)}</b> · ℹ️ " + tr.gettext("about this event")
    # The data's limits keep a summary within one page; one from before them may not be.
    blocks = [title, *_paragraphs(card.summary, CARD_PAGE_LIMIT)]
    if card.date_note:
        on_dates = tr.gettext("On the dates:")
        blocks.append(f"<i>{on_dates}</i> {escape(card.date_note)}")
    reported_in = tr.gettext("Reported in")
    references = [f"<b>{reported_in}</b>"] if card.documents else []
    references += [f"• {_reference(tr, d)}" for d in card.documents]
    return blocks, references


def _reference(tr: Tr, document: DocumentView) -> str:
    text = escape(document_reference(tr, document))
    if document.url:
        text = text.replace(escape(document.url), link(document.url, document.url))
    return text


def render_event_about(card: EventCard, tr: Tr = ENGLISH) -> list[str]:
    """The "About this event" pages: the summary, notes on dates, full references."""
    (title, *paragraphs), references = about_blocks(tr, card)
    blocks = [*paragraphs, "\n".join(references)] if references else paragraphs
    if telegram_length(blocks[-1]) > CARD_PAGE_LIMIT:  # many long references: a line each
        blocks[-1:] = references
    return [f"{title}\n\n{page}" for page in pack_blocks(blocks, CARD_PAGE_LIMIT)]


def _assessment_blocks(tr: Tr, card: EventCard, claim: ClaimView) -> list[str]:
    """A claim's latest assessment in full: the rationale may take more than one block."""
    labels = {d.key: document_label(tr, d) for d in card.documents}
    figure = shorten(claim.wording or claim.summary, STATEMENT_CHARS)
    lines = [f"• <b>{escape(claim.claimant.label)}</b>: {escape(figure)}"]
    *earlier, latest = claim.assessments
    set_by = escape(shorten(latest.set_by, NAME_CHARS))
    when = tr.date(latest.set_at.date())
    if latest.given_by:
        given = escape(shorten(latest.given_by, NAME_CHARS))
        who = tr.gettext("{date}, set by {moderator}; verdict of {verdict_by}").format(
            date=when, moderator=set_by, verdict_by=given
        )
    else:
        who = tr.gettext("{date}, set by {moderator}").format(date=when, moderator=set_by)
    lines.append(f"{STATUS_MARKERS[latest.status]} <b>{status_name(tr, latest.status)}</b> ({who})")
    blocks = ["\n".join(lines)]
    if latest.rationale:
        blocks += _paragraphs(latest.rationale, RATIONALE_PIECE)
    lines = []
    cited = [labels.get(key, key) for key in latest.documents]
    if cited:
        more = len(cited) - MAX_CITED_SHOWN
        text = "; ".join(escape(shorten(c, NAME_CHARS)) for c in cited[:MAX_CITED_SHOWN])
        if more > 0:
            text += "; " + tr.gettext("{count} more").format(count=tr.number(more))
        lines.append(tr.gettext("Cites: {documents}").format(documents=text))
    if latest.evidence:
        links = [
            link(tr.gettext("evidence {number}").format(number=tr.number(n)), url)
            for n, url in enumerate(latest.evidence[:MAX_EVIDENCE_SHOWN], start=1)
        ]
        lines.append(tr.gettext("Evidence: {links}").format(links=", ".join(links)))
    if earlier:
        shown = earlier[-MAX_EARLIER_SHOWN:]
        history = ", ".join(
            f"{STATUS_MARKERS[a.status]} {status_name(tr, a.status)} ({tr.date(a.set_at.date())})"
            for a in shown
        )
        lines.append(tr.gettext("Before: {statuses}").format(statuses=history))
    return blocks + (["\n".join(lines)] if lines else [])


def render_assessments(card: EventCard, tr: Tr = ENGLISH) -> list[str]:
    """The "Assessments" pages: each assessed claim's latest assessment in full."""
    title = f"<b>{escape(card.title)}</b> · ⚖️ " + tr.gettext("assessments")
    blocks = [b for c in card.claims if c.assessments for b in _assessment_blocks(tr, card, c)]
    if not blocks:
        blocks = [tr.gettext("No claim of this event has been assessed yet.")]
    return [f"{title}\n\n{page}" for page in pack_blocks(blocks, CARD_PAGE_LIMIT)]
