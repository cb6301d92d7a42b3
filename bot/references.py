"""Naming where a claim was reported: short labels for the card, full references on demand.

Readers are told the outlet, the headline (or, for an article without one, its opening
words), the date and the URL, whichever are known; never a curator's file name.
"""

from bot.rendering import format_date, shorten
from db.queries import AppearanceView, DocumentView

# A headline or opening words on the card are cut at a word boundary to about this many
# characters; the full reference is on the event's "About" page.
SHORT_HEADLINE_CHARS = 40
OUTLET_CHARS = 60


def quoted(text: str) -> str:
    return f"“{text}”"


def document_label(document: DocumentView) -> str:
    """'bne IntelliNews, 9 Jan 2023', or the headline's (or opening words') first words."""
    if document.publisher:
        outlet = shorten(document.publisher, OUTLET_CHARS)
        if document.published_on:
            return f"{outlet}, {format_date(document.published_on)}"
        return outlet
    words = document.headline or document.opening_words
    label = quoted(shorten(words, SHORT_HEADLINE_CHARS)) if words else "a report"
    if document.published_on:
        label += f", {format_date(document.published_on)}"
    return label


def document_reference(document: DocumentView) -> str:
    """The full reference: outlet, headline (or opening words, so marked), date, URL."""
    parts = []
    if document.publisher:
        parts.append(document.publisher)
    if document.headline:
        parts.append(quoted(document.headline))
    elif document.opening_words:
        parts.append(f"untitled, opening {quoted(document.opening_words + '…')}")
    parts.append(format_date(document.published_on) if document.published_on else "undated")
    if document.url:
        parts.append(document.url)
    else:
        parts.append("no URL given")
    return ", ".join(parts)


def appearance_label(appearance: AppearanceView) -> str:
    """Where one report of a claim appeared, in a few words (plain text)."""
    if appearance.source_document is not None:
        return document_label(appearance.source_document)
    if appearance.publisher:
        label = shorten(appearance.publisher, OUTLET_CHARS)
    elif appearance.title:
        label = quoted(shorten(appearance.title, SHORT_HEADLINE_CHARS))
    elif appearance.document:
        label = shorten(appearance.document, SHORT_HEADLINE_CHARS)
    else:
        label = "a web page"
    if appearance.published_on:
        label += f", {format_date(appearance.published_on)}"
    return label
