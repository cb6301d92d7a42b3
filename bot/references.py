"""Naming where a claim was reported: short labels for the card, full references on demand.

Readers are told the outlet, the headline (or, for an article without one, its opening
words), the date and the URL, whichever are known; never a curator's file name.
"""

from bot.i18n import Tr
from bot.rendering import shorten
from db.queries import AppearanceView, DocumentView

# A headline or opening words on the card are cut at a word boundary to about this many
# characters; the full reference is on the event's "About" page.
SHORT_HEADLINE_CHARS = 40
OUTLET_CHARS = 60


def quoted(text: str) -> str:
    return f"“{text}”"


def document_label(tr: Tr, document: DocumentView) -> str:
    """'bne IntelliNews, 9 Jan 2023', or the headline's (or opening words') first words."""
    if document.publisher:
        outlet = shorten(document.publisher, OUTLET_CHARS)
        if document.published_on:
            return f"{outlet}, {tr.date(document.published_on)}"
        return outlet
    words = document.headline or document.opening_words
    label = quoted(shorten(words, SHORT_HEADLINE_CHARS)) if words else tr.gettext("a report")
    if document.published_on:
        label += f", {tr.date(document.published_on)}"
    return label


def document_reference(tr: Tr, document: DocumentView) -> str:
    """The full reference: outlet, headline (or opening words, so marked), date, URL."""
    parts = []
    if document.publisher:
        parts.append(document.publisher)
    if document.headline:
        parts.append(quoted(document.headline))
    elif document.opening_words:
        opening = quoted(document.opening_words + "…")
        parts.append(tr.gettext("untitled, opening {words}").format(words=opening))
    if document.published_on:
        parts.append(tr.date(document.published_on))
    else:
        parts.append(tr.gettext("undated"))
    parts.append(document.url or tr.gettext("no URL given"))
    return ", ".join(parts)


def appearance_label(tr: Tr, appearance: AppearanceView) -> str:
    """Where one report of a claim appeared, in a few words (plain text)."""
    if appearance.source_document is not None:
        return document_label(tr, appearance.source_document)
    if appearance.publisher:
        label = shorten(appearance.publisher, OUTLET_CHARS)
    elif appearance.title:
        label = quoted(shorten(appearance.title, SHORT_HEADLINE_CHARS))
    elif appearance.document:
        label = shorten(appearance.document, SHORT_HEADLINE_CHARS)
    else:
        label = tr.gettext("a web page")
    if appearance.published_on:
        label += f", {tr.date(appearance.published_on)}"
    return label
