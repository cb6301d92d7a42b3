"""An event's card, read with column queries on the tables (`db.tables`).

A card shows what the ORM loader of the web page's records reads
(`db.public_queries.visible_claims_and_documents`): the visible claims, and the documents
their reports and assessments cite; titles, summaries and notes in the reader's language
where moderators translated them.
"""

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import case, select

from db import tables
from db.engine import Reads
from db.queries import (
    AppearanceView,
    AssessmentView,
    ClaimView,
    DocumentView,
    EventCard,
    RelatedEventView,
    SourceView,
)
from db.vocabulary import BASE_LANGUAGE


def _event_claims(event_id: int) -> Any:
    """The event's visible claims, to join a claim's rows (reports, assessments) to."""
    return (tables.CLAIMS.c.event_id == event_id) & tables.CLAIMS.c.hidden.is_(False)


def _appearances(session: Reads, event_id: int) -> dict[int, list[Any]]:
    publisher, via = tables.SOURCES.alias("publisher"), tables.SOURCES.alias("via")
    rows = session.execute(
        select(
            tables.APPEARANCES.c.claim_id,
            publisher.c.name.label("publisher"),
            via.c.name.label("via"),
            tables.APPEARANCES.c.document,
            tables.APPEARANCES.c.url,
            tables.APPEARANCES.c.title,
            tables.APPEARANCES.c.published_on,
            tables.APPEARANCES.c.wording,
            tables.APPEARANCES.c.figure_wording,
            tables.APPEARANCES.c.document_id,
        )
        .join(tables.CLAIMS, tables.CLAIMS.c.id == tables.APPEARANCES.c.claim_id)
        .outerjoin(publisher, publisher.c.id == tables.APPEARANCES.c.publisher_id)
        .outerjoin(via, via.c.id == tables.APPEARANCES.c.via_id)
        .where(_event_claims(event_id))
        .order_by(tables.APPEARANCES.c.id)
    )
    by_claim: dict[int, list[Any]] = {}
    for row in rows:
        by_claim.setdefault(row.claim_id, []).append(row)
    return by_claim


def _assessments(session: Reads, event_id: int) -> dict[int, list[AssessmentView]]:
    rows = session.execute(
        select(
            tables.ASSESSMENTS.c.claim_id,
            tables.ASSESSMENTS.c.status,
            tables.ASSESSMENTS.c.rationale,
            tables.ASSESSMENTS.c.reason,
            tables.ASSESSMENTS.c.given_by,
            tables.ASSESSMENTS.c.evidence,
            tables.ASSESSMENTS.c.documents,
            tables.ASSESSMENTS.c.set_by,
            tables.ASSESSMENTS.c.set_at,
        )
        .join(tables.CLAIMS, tables.CLAIMS.c.id == tables.ASSESSMENTS.c.claim_id)
        .where(_event_claims(event_id))
        .order_by(tables.ASSESSMENTS.c.id)
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


def _documents(session: Reads, ids: set[int], keys: set[str]) -> dict[int, DocumentView]:
    rows = session.execute(
        select(
            tables.DOCUMENTS.c.id,
            tables.DOCUMENTS.c.key,
            tables.SOURCES.c.name,
            tables.DOCUMENTS.c.headline,
            tables.DOCUMENTS.c.opening_words,
            tables.DOCUMENTS.c.published_on,
            tables.DOCUMENTS.c.url,
        )
        .outerjoin(tables.SOURCES, tables.SOURCES.c.id == tables.DOCUMENTS.c.publisher_id)
        .where(tables.DOCUMENTS.c.id.in_(ids) | tables.DOCUMENTS.c.key.in_(keys))
        .order_by(tables.DOCUMENTS.c.id)
    )
    return {document_id: DocumentView(*view) for document_id, *view in rows}


def _claim_views(
    session: Reads, event_id: int, summaries: dict[int, str]
) -> tuple[tuple[ClaimView, ...], tuple[DocumentView, ...]]:
    """The event's visible claims, with their claimants, reports and assessments, and the
    documents those cite; summaries in the reader's language where translated."""
    claims = session.execute(
        select(
            tables.CLAIMS.c.id,
            tables.CLAIMS.c.key,
            tables.SOURCES.c.name,
            tables.SOURCES.c.kind,
            tables.SOURCES.c.side,
            tables.SOURCES.c.short_name,
            tables.CLAIMS.c.metric,
            tables.CLAIMS.c.subject,
            tables.CLAIMS.c.qualifier,
            tables.CLAIMS.c.low,
            tables.CLAIMS.c.high,
            tables.CLAIMS.c.wording,
            tables.CLAIMS.c.summary,
            tables.CLAIMS.c.quote,
            tables.CLAIMS.c.stated_on,
            tables.CLAIMS.c.basis,
            tables.CLAIMS.c.supersedes_id,
            tables.CLAIMS.c.lifecycle,
            tables.CLAIMS.c.status,
        )
        .join(tables.SOURCES, tables.SOURCES.c.id == tables.CLAIMS.c.claimant_id)
        .where(_event_claims(event_id))
        .order_by(tables.CLAIMS.c.id)
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


def _translations(session: Reads, language: str, event_ids: list[int]) -> _Translations:
    """The texts in `language` of the first event and its claims, and of the events it links
    to (a handful: the claims are found by their event, not listed)."""
    if language == BASE_LANGUAGE:
        return _Translations({}, {})  # the English card costs no query more
    translations = tables.EVENT_TRANSLATIONS.c
    events = session.execute(
        select(
            translations.event_id, translations.title, translations.summary, translations.date_note
        ).where(translations.lang == language, translations.event_id.in_(event_ids))
    )
    summaries = session.execute(
        select(tables.CLAIM_TRANSLATIONS.c.claim_id, tables.CLAIM_TRANSLATIONS.c.summary)
        .join(tables.CLAIMS, tables.CLAIMS.c.id == tables.CLAIM_TRANSLATIONS.c.claim_id)
        .where(
            tables.CLAIM_TRANSLATIONS.c.lang == language, tables.CLAIMS.c.event_id == event_ids[0]
        )
    )
    return _Translations({row.event_id: row for row in events}, dict(summaries.all()))


def load_event_card(session: Reads, slug: str, language: str = BASE_LANGUAGE) -> EventCard | None:
    """The visible event's card, with its title, summary, notes on dates, related events'
    titles and claims' summaries in `language` where moderators translated them (English
    field by field where not; quotes and figures always as printed)."""
    event = session.execute(
        select(*tables.EVENT_FIELDS, tables.EVENTS.c.date_precision).where(
            tables.EVENTS.c.slug == slug, tables.EVENTS.c.hidden.is_(False)
        )
    ).first()
    if event is None:
        return None
    other = tables.EVENTS.alias("other")
    outgoing = tables.LINKS.c.event_id == event.id
    links = session.execute(
        select(other.c.id, other.c.slug, other.c.title, tables.LINKS.c.relation, outgoing)
        .join(
            other,
            other.c.id
            == case((outgoing, tables.LINKS.c.related_event_id), else_=tables.LINKS.c.event_id),
        )
        .where(outgoing | (tables.LINKS.c.related_event_id == event.id), other.c.hidden.is_(False))
        .order_by(tables.LINKS.c.id)
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
