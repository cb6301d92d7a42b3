"""Read-side queries: what users are shown, as plain immutable views.

Views are detached from the session, so answers can be rendered after the
unit of work has ended. Hidden (deleted) events and claims are never shown.
"""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from db import tables
from db.changes import CHUNK
from db.engine import Reads
from db.vocabulary import (
    BASE_LANGUAGE,
    AliasKind,
    Basis,
    DatePrecision,
    Lifecycle,
    Metric,
    Qualifier,
    Relation,
    Side,
    SourceKind,
    VerificationStatus,
)

if TYPE_CHECKING:
    from db.models import Event


@dataclass(frozen=True)
class SourceView:
    name: str
    kind: SourceKind
    side: Side
    short_name: str | None = None

    @property
    def label(self) -> str:
        return self.short_name or self.name


@dataclass(frozen=True)
class DocumentView:
    """A recorded article as readers can find it (never by its archive name)."""

    key: str
    publisher: str | None
    headline: str | None
    opening_words: str | None
    published_on: dt.date | None
    url: str | None


@dataclass(frozen=True)
class AppearanceView:
    """One report of a claim: its recorded document, or what the moderator gave instead."""

    publisher: str | None
    via: str | None
    document: str | None
    url: str | None
    title: str | None
    published_on: dt.date | None
    wording: str | None
    figure_wording: str | None = None
    source_document: DocumentView | None = None


@dataclass(frozen=True)
class AssessmentView:
    status: VerificationStatus
    rationale: str | None
    reason: str | None
    given_by: str | None
    evidence: tuple[str, ...]
    documents: tuple[str, ...]
    set_by: str
    set_at: dt.datetime


@dataclass(frozen=True)
class ClaimView:
    id: int
    key: str
    claimant: SourceView
    metric: Metric
    subject: str | None
    qualifier: Qualifier | None
    low: int | None
    high: int | None
    wording: str | None
    summary: str
    quote: str
    stated_on: dt.date | None
    basis: Basis
    supersedes_id: int | None
    lifecycle: Lifecycle
    status: VerificationStatus
    appearances: tuple[AppearanceView, ...]
    assessments: tuple[AssessmentView, ...] = ()


@dataclass(frozen=True)
class RelatedEventView:
    slug: str
    title: str
    relation: Relation
    # True: this event -> the other ("presented as retaliation for X"); False: the reverse.
    outgoing: bool


@dataclass(frozen=True)
class EventCard:
    slug: str
    title: str
    summary: str
    place: str
    region: str | None
    country: str | None
    start_date: dt.date | None
    end_date: dt.date | None
    date_precision: DatePrecision
    date_note: str | None
    claims: tuple[ClaimView, ...]
    related: tuple[RelatedEventView, ...]
    # Every recorded document the claims were reported in or their assessments cite.
    documents: tuple[DocumentView, ...] = ()


@dataclass(frozen=True)
class EventListing:
    slug: str
    title: str
    place: str
    start_date: dt.date | None
    claim_count: int


def translated_title(session: Reads, event: "Event", language: str) -> str:
    """The event's title in `language` where moderators translated it, else in English."""
    if language == BASE_LANGUAGE:
        return event.title
    translations = tables.EVENT_TRANSLATIONS.c
    title = session.scalar(
        select(translations.title).where(
            translations.event_id == event.id, translations.lang == language
        )
    )
    return title or event.title


def list_events(session: Reads, language: str = BASE_LANGUAGE) -> list[EventListing]:
    """The visible events, newest first, titled in `language` where translated."""
    events, claims = tables.EVENTS.c, tables.CLAIMS.c
    translations = tables.EVENT_TRANSLATIONS
    claim_count = (
        select(func.count(claims.id))
        .where(claims.event_id == events.id, claims.hidden.is_(False))
        .scalar_subquery()
    )
    title: Any = events.title
    if language != BASE_LANGUAGE:
        title = func.coalesce(translations.c.title, events.title)
    query = select(events.slug, title, events.place, events.start_date, claim_count)
    if language != BASE_LANGUAGE:
        query = query.outerjoin(
            translations,
            (translations.c.event_id == events.id) & (translations.c.lang == language),
        )
    rows = session.execute(
        query.where(events.hidden.is_(False)).order_by(events.start_date.desc(), title)
    ).all()
    return [EventListing(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class AliasRow:
    text: str
    lang: str | None
    kind: AliasKind


@dataclass(frozen=True, slots=True)
class MatcherEvent:
    """An event as the matcher reads it (`bot.matching.event_document`)."""

    slug: str
    title: str
    summary: str
    place: str
    region: str | None
    country: str | None
    start_date: dt.date | None
    end_date: dt.date | None
    date_note: str | None
    aliases: list[AliasRow]
    # Claimant names, summaries and quotes of the visible claims.
    claim_terms: list[str]
    related: list[tuple[str, str]]  # (slug, relation) of the events it links to


def matcher_events(session: Reads, slugs: Collection[str] | None = None) -> list[MatcherEvent]:
    """Events users can be answered with (all, or those of `slugs`), read with plain column
    queries: loading 100,000 events as ORM objects took most of a minute-long start."""
    query = select(*tables.EVENT_FIELDS).where(tables.EVENTS.c.hidden.is_(False))
    if slugs is None:
        rows = list(session.execute(query.order_by(tables.EVENTS.c.id)))
    else:
        wanted = sorted(slugs)
        rows = []
        for start in range(0, len(wanted), CHUNK):
            rows += session.execute(
                query.where(tables.EVENTS.c.slug.in_(wanted[start : start + CHUNK]))
            )
    aliases: dict[int, list[AliasRow]] = {row[0]: [] for row in rows}
    terms: dict[int, list[str]] = {row[0]: [] for row in rows}
    related: dict[int, list[tuple[str, str]]] = {row[0]: [] for row in rows}
    alias_query = select(
        tables.ALIASES.c.event_id,
        tables.ALIASES.c.text,
        tables.ALIASES.c.lang,
        tables.ALIASES.c.kind,
    )
    claim_query = (
        select(
            tables.CLAIMS.c.event_id,
            tables.SOURCES.c.name,
            tables.CLAIMS.c.summary,
            tables.CLAIMS.c.quote,
        )
        .join(tables.SOURCES, tables.SOURCES.c.id == tables.CLAIMS.c.claimant_id)
        .where(tables.CLAIMS.c.hidden.is_(False))
    )
    link_query = select(
        tables.LINKS.c.event_id, tables.EVENTS.c.slug, tables.LINKS.c.relation
    ).join(tables.EVENTS, tables.EVENTS.c.id == tables.LINKS.c.related_event_id)
    ids = None if slugs is None else sorted(aliases)
    for event_id, text, lang, kind in _rows(session, alias_query, tables.ALIASES, ids):
        if event_id in aliases:
            aliases[event_id].append(AliasRow(text, lang, kind))
    for event_id, claimant, summary, quote in _rows(session, claim_query, tables.CLAIMS, ids):
        if event_id in terms:
            terms[event_id] += [claimant, summary, quote] if quote else [claimant, summary]
    for event_id, slug, relation in _rows(session, link_query, tables.LINKS, ids):
        if event_id in related:
            related[event_id].append((slug, relation.value))
    return [
        MatcherEvent(
            slug=row.slug,
            title=row.title,
            summary=row.summary,
            place=row.place,
            region=row.region,
            country=row.country,
            start_date=row.start_date,
            end_date=row.end_date,
            date_note=row.date_note,
            aliases=aliases[row.id],
            claim_terms=terms[row.id],
            related=related[row.id],
        )
        for row in rows
    ]


def _rows(session: Reads, query: Any, table: Any, event_ids: list[int] | None) -> list[Any]:
    """The rows of `query` (on `table`, which has event_id and id) for these events, or all,
    in the order they were added."""
    if event_ids is None:
        return list(session.execute(query.order_by(table.c.id)))
    found: list[Any] = []
    for start in range(0, len(event_ids), CHUNK):
        chunk = event_ids[start : start + CHUNK]
        found += session.execute(query.where(table.c.event_id.in_(chunk)).order_by(table.c.id))
    return found


def list_sources(session: Reads) -> list[SourceView]:
    sources = tables.SOURCES.c
    query = select(sources.name, sources.kind, sources.side, sources.short_name)
    return [SourceView(*row) for row in session.execute(query.order_by(sources.name))]


def is_empty(session: Reads) -> bool:
    return session.scalar(select(func.count(tables.EVENTS.c.id))) == 0
