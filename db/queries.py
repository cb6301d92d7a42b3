"""Read-side queries: what users are shown, as plain immutable views.

Views are detached from the session, so answers can be rendered after the
unit of work has ended. Hidden (deleted) events and claims are never shown.
"""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from db.changes import CHUNK
from db.models import (
    Appearance,
    Assessment,
    Claim,
    ClaimTranslation,
    Document,
    Event,
    EventAlias,
    EventLink,
    EventTranslation,
    Source,
)
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


def _source_view(source: Source) -> SourceView:
    return SourceView(source.name, source.kind, source.side, source.short_name)


# Cards and the matcher's events are read with plain column queries on the tables: every
# answer with a card waits for the read, a new process's first one too, and ORM entities would
# cost configuring every model's mapper and building objects only to copy them into views
# (about a tenth of a cold `claimbot ask`). A card shows what the ORM loader of the web page's
# records reads (`db.public_queries.visible_claims_and_documents`): the visible claims, and
# the documents their reports and assessments cite.
_EVENTS = Event.__table__
_ALIASES = EventAlias.__table__
_CLAIMS = Claim.__table__
_SOURCES = Source.__table__
_APPEARANCES = Appearance.__table__
_ASSESSMENTS = Assessment.__table__
_DOCUMENTS = Document.__table__
_LINKS = EventLink.__table__
_EVENT_TRANSLATIONS = EventTranslation.__table__
_CLAIM_TRANSLATIONS = ClaimTranslation.__table__
# What a card and the matcher both read of an event.
_EVENT_FIELDS = (
    _EVENTS.c.id,
    _EVENTS.c.slug,
    _EVENTS.c.title,
    _EVENTS.c.summary,
    _EVENTS.c.place,
    _EVENTS.c.region,
    _EVENTS.c.country,
    _EVENTS.c.start_date,
    _EVENTS.c.end_date,
    _EVENTS.c.date_note,
)


def _event_claims(event_id: int) -> Any:
    """The event's visible claims, to join a claim's rows (reports, assessments) to."""
    return (_CLAIMS.c.event_id == event_id) & _CLAIMS.c.hidden.is_(False)


def _appearances(session: Session, event_id: int) -> dict[int, list[Any]]:
    publisher, via = _SOURCES.alias("publisher"), _SOURCES.alias("via")
    rows = session.execute(
        select(
            _APPEARANCES.c.claim_id,
            publisher.c.name.label("publisher"),
            via.c.name.label("via"),
            _APPEARANCES.c.document,
            _APPEARANCES.c.url,
            _APPEARANCES.c.title,
            _APPEARANCES.c.published_on,
            _APPEARANCES.c.wording,
            _APPEARANCES.c.figure_wording,
            _APPEARANCES.c.document_id,
        )
        .join(_CLAIMS, _CLAIMS.c.id == _APPEARANCES.c.claim_id)
        .outerjoin(publisher, publisher.c.id == _APPEARANCES.c.publisher_id)
        .outerjoin(via, via.c.id == _APPEARANCES.c.via_id)
        .where(_event_claims(event_id))
        .order_by(_APPEARANCES.c.id)
    )
    by_claim: dict[int, list[Any]] = {}
    for row in rows:
        by_claim.setdefault(row.claim_id, []).append(row)
    return by_claim


def _assessments(session: Session, event_id: int) -> dict[int, list[AssessmentView]]:
    rows = session.execute(
        select(
            _ASSESSMENTS.c.claim_id,
            _ASSESSMENTS.c.status,
            _ASSESSMENTS.c.rationale,
            _ASSESSMENTS.c.reason,
            _ASSESSMENTS.c.given_by,
            _ASSESSMENTS.c.evidence,
            _ASSESSMENTS.c.documents,
            _ASSESSMENTS.c.set_by,
            _ASSESSMENTS.c.set_at,
        )
        .join(_CLAIMS, _CLAIMS.c.id == _ASSESSMENTS.c.claim_id)
        .where(_event_claims(event_id))
        .order_by(_ASSESSMENTS.c.id)
    )
    by_claim: dict[int, list[AssessmentView]] = {}
    for row in rows:
        by_claim.setdefault(row.claim_id, []).append(
            AssessmentView(
                status=row.status,
                rationale=row.rationale,
                reason=row.reason,
                given_by=row.given_by,
                evidence=tuple(row.evidence),
                documents=tuple(row.documents or ()),
                set_by=row.set_by,
                set_at=row.set_at,
            )
        )
    return by_claim


def _documents(session: Session, ids: set[int], keys: set[str]) -> dict[int, DocumentView]:
    rows = session.execute(
        select(
            _DOCUMENTS.c.id,
            _DOCUMENTS.c.key,
            _SOURCES.c.name,
            _DOCUMENTS.c.headline,
            _DOCUMENTS.c.opening_words,
            _DOCUMENTS.c.published_on,
            _DOCUMENTS.c.url,
        )
        .outerjoin(_SOURCES, _SOURCES.c.id == _DOCUMENTS.c.publisher_id)
        .where(_DOCUMENTS.c.id.in_(ids) | _DOCUMENTS.c.key.in_(keys))
        .order_by(_DOCUMENTS.c.id)
    )
    return {document_id: DocumentView(*view) for document_id, *view in rows}


def _claim_views(
    session: Session, event_id: int, summaries: dict[int, str]
) -> tuple[tuple[ClaimView, ...], tuple[DocumentView, ...]]:
    """The event's visible claims, with their claimants, reports and assessments, and the
    documents those cite; summaries in the reader's language where translated."""
    claims = session.execute(
        select(
            _CLAIMS.c.id,
            _CLAIMS.c.key,
            _SOURCES.c.name,
            _SOURCES.c.kind,
            _SOURCES.c.side,
            _SOURCES.c.short_name,
            _CLAIMS.c.metric,
            _CLAIMS.c.subject,
            _CLAIMS.c.qualifier,
            _CLAIMS.c.low,
            _CLAIMS.c.high,
            _CLAIMS.c.wording,
            _CLAIMS.c.summary,
            _CLAIMS.c.quote,
            _CLAIMS.c.stated_on,
            _CLAIMS.c.basis,
            _CLAIMS.c.supersedes_id,
            _CLAIMS.c.lifecycle,
            _CLAIMS.c.status,
        )
        .join(_SOURCES, _SOURCES.c.id == _CLAIMS.c.claimant_id)
        .where(_event_claims(event_id))
        .order_by(_CLAIMS.c.id)
    ).all()
    appearances = _appearances(session, event_id)
    assessments = _assessments(session, event_id)
    cited_ids = {a.document_id for rows in appearances.values() for a in rows if a.document_id}
    cited_keys = {key for views in assessments.values() for a in views for key in a.documents}
    documents = _documents(session, cited_ids, cited_keys)
    views = tuple(
        ClaimView(
            id=c.id,
            key=c.key,
            claimant=SourceView(c.name, c.kind, c.side, c.short_name),
            metric=c.metric,
            subject=c.subject,
            qualifier=c.qualifier,
            low=c.low,
            high=c.high,
            wording=c.wording,
            summary=summaries.get(c.id, c.summary),
            quote=c.quote,
            stated_on=c.stated_on,
            basis=c.basis,
            supersedes_id=c.supersedes_id,
            lifecycle=c.lifecycle,
            status=c.status,
            appearances=tuple(
                AppearanceView(
                    publisher=a.publisher,
                    via=a.via,
                    document=a.document,
                    url=a.url,
                    title=a.title,
                    published_on=a.published_on,
                    wording=a.wording,
                    figure_wording=a.figure_wording,
                    source_document=documents.get(a.document_id) if a.document_id else None,
                )
                for a in appearances.get(c.id, ())
            ),
            assessments=tuple(assessments.get(c.id, ())),
        )
        for c in claims
    )
    return views, tuple(documents.values())


T = TypeVar("T", str, str | None)


@dataclass(frozen=True)
class _Translations:
    """The texts moderators wrote in one language for some events and claims, by id;
    whatever is missing is shown in English."""

    events: dict[int, Any]  # rows of title, summary and date_note, by event id
    claim_summaries: dict[int, str]

    def event_text(self, event_id: int, column: str, english: T) -> T:
        translated = getattr(self.events.get(event_id), column, None)
        return translated or english


def _translations(session: Session, language: str, event_ids: list[int]) -> _Translations:
    """The texts in `language` of the first event and its claims, and of the events it links
    to (a handful: the claims are found by their event, not listed)."""
    if language == BASE_LANGUAGE:
        return _Translations({}, {})  # the English card costs no query more
    translations = _EVENT_TRANSLATIONS.c
    events = session.execute(
        select(
            translations.event_id, translations.title, translations.summary, translations.date_note
        ).where(translations.lang == language, translations.event_id.in_(event_ids))
    )
    summaries = session.execute(
        select(_CLAIM_TRANSLATIONS.c.claim_id, _CLAIM_TRANSLATIONS.c.summary)
        .join(_CLAIMS, _CLAIMS.c.id == _CLAIM_TRANSLATIONS.c.claim_id)
        .where(_CLAIM_TRANSLATIONS.c.lang == language, _CLAIMS.c.event_id == event_ids[0])
    )
    return _Translations({row.event_id: row for row in events}, dict(summaries.all()))


def translated_title(session: Session, event: Event, language: str) -> str:
    """The event's title in `language` where moderators translated it, else in English."""
    if language == BASE_LANGUAGE:
        return event.title
    title = session.scalar(
        select(EventTranslation.title).where(
            EventTranslation.event_id == event.id, EventTranslation.lang == language
        )
    )
    return title or event.title


def load_event_card(session: Session, slug: str, language: str = BASE_LANGUAGE) -> EventCard | None:
    """The visible event's card, with its title, summary, notes on dates, related events'
    titles and claims' summaries in `language` where moderators translated them (English
    field by field where not; quotes and figures always as printed)."""
    event = session.execute(
        select(*_EVENT_FIELDS, _EVENTS.c.date_precision).where(
            _EVENTS.c.slug == slug, _EVENTS.c.hidden.is_(False)
        )
    ).first()
    if event is None:
        return None
    other = _EVENTS.alias("other")
    outgoing = _LINKS.c.event_id == event.id
    links = session.execute(
        select(other.c.id, other.c.slug, other.c.title, _LINKS.c.relation, outgoing)
        .join(
            other,
            other.c.id == case((outgoing, _LINKS.c.related_event_id), else_=_LINKS.c.event_id),
        )
        .where(outgoing | (_LINKS.c.related_event_id == event.id), other.c.hidden.is_(False))
        .order_by(_LINKS.c.id)
    ).all()
    texts = _translations(session, language, [event.id, *(link.id for link in links)])
    claims, documents = _claim_views(session, event.id, texts.claim_summaries)
    return EventCard(
        slug=event.slug,
        title=texts.event_text(event.id, "title", event.title),
        summary=texts.event_text(event.id, "summary", event.summary),
        place=event.place,
        region=event.region,
        country=event.country,
        start_date=event.start_date,
        end_date=event.end_date,
        date_precision=event.date_precision,
        date_note=texts.event_text(event.id, "date_note", event.date_note),
        claims=claims,
        related=tuple(
            RelatedEventView(
                slug, texts.event_text(other_id, "title", title), relation, bool(is_outgoing)
            )
            for other_id, slug, title, relation, is_outgoing in links
        ),
        documents=documents,
    )


def list_events(session: Session, language: str = BASE_LANGUAGE) -> list[EventListing]:
    """The visible events, newest first, titled in `language` where translated."""
    claim_count = (
        select(func.count(Claim.id))
        .where(Claim.event_id == Event.id, Claim.hidden.is_(False))
        .scalar_subquery()
    )
    title: Any = Event.title
    if language != BASE_LANGUAGE:
        title = func.coalesce(EventTranslation.title, Event.title)
    query = select(Event.slug, title, Event.place, Event.start_date, claim_count)
    if language != BASE_LANGUAGE:
        query = query.outerjoin(
            EventTranslation,
            (EventTranslation.event_id == Event.id) & (EventTranslation.lang == language),
        )
    rows = session.execute(
        query.where(Event.hidden.is_(False)).order_by(Event.start_date.desc(), title)
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


def matcher_events(session: Session, slugs: Collection[str] | None = None) -> list[MatcherEvent]:
    """Events users can be answered with (all, or those of `slugs`), read with plain column
    queries: loading 100,000 events as ORM objects took most of a minute-long start."""
    query = select(*_EVENT_FIELDS).where(_EVENTS.c.hidden.is_(False))
    if slugs is None:
        rows = list(session.execute(query.order_by(_EVENTS.c.id)))
    else:
        wanted = sorted(slugs)
        rows = []
        for start in range(0, len(wanted), CHUNK):
            rows += session.execute(query.where(_EVENTS.c.slug.in_(wanted[start : start + CHUNK])))
    aliases: dict[int, list[AliasRow]] = {row[0]: [] for row in rows}
    terms: dict[int, list[str]] = {row[0]: [] for row in rows}
    related: dict[int, list[tuple[str, str]]] = {row[0]: [] for row in rows}
    alias_query = select(_ALIASES.c.event_id, _ALIASES.c.text, _ALIASES.c.lang, _ALIASES.c.kind)
    claim_query = (
        select(_CLAIMS.c.event_id, _SOURCES.c.name, _CLAIMS.c.summary, _CLAIMS.c.quote)
        .join(_SOURCES, _SOURCES.c.id == _CLAIMS.c.claimant_id)
        .where(_CLAIMS.c.hidden.is_(False))
    )
    link_query = select(_LINKS.c.event_id, _EVENTS.c.slug, _LINKS.c.relation).join(
        _EVENTS, _EVENTS.c.id == _LINKS.c.related_event_id
    )
    ids = None if slugs is None else sorted(aliases)
    for event_id, text, lang, kind in _rows(session, alias_query, _ALIASES, ids):
        if event_id in aliases:
            aliases[event_id].append(AliasRow(text, lang, kind))
    for event_id, claimant, summary, quote in _rows(session, claim_query, _CLAIMS, ids):
        if event_id in terms:
            terms[event_id] += [claimant, summary, quote] if quote else [claimant, summary]
    for event_id, slug, relation in _rows(session, link_query, _LINKS, ids):
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


def _rows(session: Session, query: Any, table: Any, event_ids: list[int] | None) -> list[Any]:
    """The rows of `query` (on `table`, which has event_id and id) for these events, or all,
    in the order they were added."""
    if event_ids is None:
        return list(session.execute(query.order_by(table.c.id)))
    found: list[Any] = []
    for start in range(0, len(event_ids), CHUNK):
        chunk = event_ids[start : start + CHUNK]
        found += session.execute(query.where(table.c.event_id.in_(chunk)).order_by(table.c.id))
    return found


def list_sources(session: Session) -> list[SourceView]:
    return [_source_view(s) for s in session.scalars(select(Source).order_by(Source.name))]


def is_empty(session: Session) -> bool:
    return session.scalar(select(func.count(_EVENTS.c.id))) == 0
