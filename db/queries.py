"""Read-side queries: what users are shown, as plain immutable views.

Views are detached from the session, so answers can be rendered after the
unit of work has ended. Hidden (deleted) events and claims are never shown.
"""

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from db.changes import CHUNK
from db.models import (
    Appearance,
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


def _document_view(document: Document) -> DocumentView:
    return DocumentView(
        key=document.key,
        publisher=document.publisher.name if document.publisher else None,
        headline=document.headline,
        opening_words=document.opening_words,
        published_on=document.published_on,
        url=document.url,
    )


def _claim_view(claim: Claim, documents: dict[int, DocumentView], summary: str) -> ClaimView:
    return ClaimView(
        id=claim.id,
        key=claim.key,
        claimant=_source_view(claim.claimant),
        metric=claim.metric,
        subject=claim.subject,
        qualifier=claim.qualifier,
        low=claim.low,
        high=claim.high,
        wording=claim.wording,
        summary=summary,
        quote=claim.quote,
        stated_on=claim.stated_on,
        basis=claim.basis,
        supersedes_id=claim.supersedes_id,
        lifecycle=claim.lifecycle,
        status=claim.status,
        appearances=tuple(
            AppearanceView(
                publisher=a.publisher.name if a.publisher else None,
                via=a.via.name if a.via else None,
                document=a.document,
                url=a.url,
                title=a.title,
                published_on=a.published_on,
                wording=a.wording,
                figure_wording=a.figure_wording,
                source_document=documents.get(a.document_id) if a.document_id else None,
            )
            for a in claim.appearances
        ),
        assessments=tuple(
            AssessmentView(
                status=a.status,
                rationale=a.rationale,
                reason=a.reason,
                given_by=a.given_by,
                evidence=tuple(a.evidence),
                documents=tuple(a.documents or ()),
                set_by=a.set_by,
                set_at=a.set_at,
            )
            for a in claim.assessments
        ),
    )


def visible_claims_and_documents(
    session: Session, event: Event
) -> tuple[Sequence[Claim], Sequence[Document]]:
    """An event's visible claims, with what a card or a page shows of them loaded, and the
    documents they cite (through their appearances or their assessments)."""
    claims = session.scalars(
        select(Claim)
        .where(Claim.event_id == event.id, Claim.hidden.is_(False))
        .options(
            selectinload(Claim.claimant),
            selectinload(Claim.supersedes),
            selectinload(Claim.appearances).selectinload(Appearance.publisher),
            selectinload(Claim.appearances).selectinload(Appearance.via),
            selectinload(Claim.appearances).selectinload(Appearance.source_document),
            selectinload(Claim.assessments),
        )
        .order_by(Claim.id)
    ).all()
    cited_ids = {a.document_id for c in claims for a in c.appearances if a.document_id}
    cited_keys = {key for c in claims for a in c.assessments for key in a.documents or ()}
    documents = session.scalars(
        select(Document)
        .where(Document.id.in_(cited_ids) | Document.key.in_(cited_keys))
        .options(selectinload(Document.publisher))
        .order_by(Document.id)
    ).all()
    return claims, documents


T = TypeVar("T", str, str | None)


@dataclass(frozen=True)
class _Translations:
    """The texts moderators wrote in one language for some events and claims, by id;
    whatever is missing is shown in English."""

    events: dict[int, EventTranslation]
    claim_summaries: dict[int, str]

    def event_text(self, event_id: int, column: str, english: T) -> T:
        translated = getattr(self.events.get(event_id), column, None)
        return translated or english


def _translations(
    session: Session, language: str, event: Event, others: list[Event]
) -> _Translations:
    """The event's and its claims' texts in `language`, and the titles of the events it
    links to (a handful: the claims are found by their event, not listed)."""
    if language == BASE_LANGUAGE:
        return _Translations({}, {})  # the English card costs no query more
    events = session.scalars(
        select(EventTranslation).where(
            EventTranslation.lang == language,
            EventTranslation.event_id.in_([event.id, *(o.id for o in others)]),
        )
    )
    summaries = session.execute(
        select(ClaimTranslation.claim_id, ClaimTranslation.summary)
        .join(Claim, Claim.id == ClaimTranslation.claim_id)
        .where(ClaimTranslation.lang == language, Claim.event_id == event.id)
    )
    return _Translations({t.event_id: t for t in events}, dict(summaries.all()))


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
    event = session.scalar(select(Event).where(Event.slug == slug, Event.hidden.is_(False)))
    if event is None:
        return None
    claims, rows = visible_claims_and_documents(session, event)
    documents = {d.id: _document_view(d) for d in rows}
    links = session.scalars(
        select(EventLink)
        .where((EventLink.event_id == event.id) | (EventLink.related_event_id == event.id))
        .options(selectinload(EventLink.event), selectinload(EventLink.related_event))
        .order_by(EventLink.id)
    ).all()
    others = []
    for link in links:
        outgoing = link.event_id == event.id
        other = link.related_event if outgoing else link.event
        if not other.hidden:
            others.append((other, link.relation, outgoing))
    texts = _translations(session, language, event, [o for o, _, _ in others])
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
        claims=tuple(
            _claim_view(c, documents, texts.claim_summaries.get(c.id, c.summary)) for c in claims
        ),
        related=tuple(
            RelatedEventView(o.slug, texts.event_text(o.id, "title", o.title), relation, outgoing)
            for o, relation, outgoing in others
        ),
        documents=tuple(documents.values()),
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
    query = select(
        Event.id,
        Event.slug,
        Event.title,
        Event.summary,
        Event.place,
        Event.region,
        Event.country,
        Event.start_date,
        Event.end_date,
        Event.date_note,
    ).where(Event.hidden.is_(False))
    if slugs is None:
        rows = list(session.execute(query.order_by(Event.id)))
    else:
        wanted = sorted(slugs)
        rows = []
        for start in range(0, len(wanted), CHUNK):
            rows += session.execute(query.where(Event.slug.in_(wanted[start : start + CHUNK])))
    aliases: dict[int, list[AliasRow]] = {row[0]: [] for row in rows}
    terms: dict[int, list[str]] = {row[0]: [] for row in rows}
    related: dict[int, list[tuple[str, str]]] = {row[0]: [] for row in rows}
    alias_query = select(EventAlias.event_id, EventAlias.text, EventAlias.lang, EventAlias.kind)
    claim_query = (
        select(Claim.event_id, Source.name, Claim.summary, Claim.quote)
        .join(Source, Source.id == Claim.claimant_id)
        .where(Claim.hidden.is_(False))
    )
    link_query = select(EventLink.event_id, Event.slug, EventLink.relation).join(
        Event, Event.id == EventLink.related_event_id
    )
    ids = None if slugs is None else sorted(aliases)
    for event_id, text, lang, kind in _rows(session, alias_query, EventAlias, ids):
        if event_id in aliases:
            aliases[event_id].append(AliasRow(text, lang, kind))
    for event_id, claimant, summary, quote in _rows(session, claim_query, Claim, ids):
        if event_id in terms:
            terms[event_id] += [claimant, summary, quote] if quote else [claimant, summary]
    for event_id, slug, relation in _rows(session, link_query, EventLink, ids):
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
        return list(session.execute(query.order_by(table.id)))
    found: list[Any] = []
    for start in range(0, len(event_ids), CHUNK):
        chunk = event_ids[start : start + CHUNK]
        found += session.execute(query.where(table.event_id.in_(chunk)).order_by(table.id))
    return found


def list_sources(session: Session) -> list[SourceView]:
    return [_source_view(s) for s in session.scalars(select(Source).order_by(Source.name))]


def is_empty(session: Session) -> bool:
    return session.scalar(select(func.count(Event.id))) == 0
