"""What the matcher knows of an event: its names, texts, dates, claims and links."""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Alias:
    text: str
    lang: str | None
    kind: str  # an AliasKind value: name, transliteration or keyword


@dataclass(frozen=True, slots=True)
class EventDocument:
    """What the matcher knows of one event."""

    slug: str
    title: str
    summary: str
    place: str
    region: str | None
    country: str | None
    start_date: dt.date | None
    end_date: dt.date | None
    aliases: tuple[Alias, ...]
    # Claimant names, claim summaries and quotes: weaker evidence, but a name or a figure that
    # only one event's claims hold identifies it.
    claim_terms: tuple[str, ...] = ()
    date_note: str | None = None  # how the articles date it, for events without dates
    # (slug, relation) of events this one is linked to, e.g. presented_as_retaliation_for.
    related: tuple[tuple[str, str], ...] = ()


# An event document as plain tuples and strings, for pickling (`index.IndexedEvent`): the
# fields in order, aliases as (text, lang, kind).
PlainDocument = tuple[Any, ...]


def plain_document(document: EventDocument) -> PlainDocument:
    values = [getattr(document, name) for name in _FIELDS]
    values[_FIELDS.index("aliases")] = tuple((a.text, a.lang, a.kind) for a in document.aliases)
    return tuple(values)


def document_from_plain(plain: PlainDocument) -> EventDocument:
    values = dict(zip(_FIELDS, plain, strict=True))
    values["aliases"] = tuple(Alias(*alias) for alias in values["aliases"])
    return EventDocument(**values)


_FIELDS = tuple(field.name for field in fields(EventDocument))


class AliasSource(Protocol):
    @property
    def text(self) -> str: ...
    @property
    def lang(self) -> str | None: ...
    @property
    def kind(self) -> StrEnum: ...


class EventSource(Protocol):
    """An event as the database (`db.models.Event`) or a data set (`EventRecord`) holds it."""

    @property
    def slug(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def place(self) -> str: ...
    @property
    def region(self) -> str | None: ...
    @property
    def country(self) -> str | None: ...
    @property
    def start_date(self) -> dt.date | None: ...
    @property
    def end_date(self) -> dt.date | None: ...
    @property
    def date_note(self) -> str | None: ...
    @property
    def aliases(self) -> Sequence[AliasSource]: ...


def event_document(
    event: EventSource, claim_terms: Iterable[str], related: Iterable[tuple[str, str]] = ()
) -> EventDocument:
    """The matcher's view of one event; claim terms are its claimants, claim summaries and
    quotes, `related` its links to other events as (slug, relation)."""
    return EventDocument(
        slug=event.slug,
        title=event.title,
        summary=event.summary,
        place=event.place,
        region=event.region,
        country=event.country,
        start_date=event.start_date,
        end_date=event.end_date,
        aliases=tuple(Alias(a.text, a.lang, a.kind.value) for a in event.aliases),
        claim_terms=tuple(sorted(set(claim_terms))),
        date_note=event.date_note,
        related=tuple(related),
    )
