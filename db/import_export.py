"""Records as the database holds them, and the export of the whole data set.

The data-set records (db/dataset_schema.py) of stored rows: from ORM objects for a
moderator's change and the export, and from plain column queries, a batch of keys at a
time, for an import's plan (which compares a file with what the database holds). Export
writes the format import reads, so an export imports back exactly.
"""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import BindParameter, Select, bindparam, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from db.dataset_schema import (
    AliasRecord,
    AppearanceRecord,
    AssessmentRecord,
    ClaimRecord,
    ClaimTranslationRecord,
    DataSet,
    DocumentRecord,
    EventRecord,
    EventTranslationRecord,
    RelatedEventRecord,
    SourceRecord,
)
from db.models import (
    Appearance,
    Claim,
    Document,
    Event,
    EventLink,
    Source,
)
from db.tables import (
    ALIASES,
    APPEARANCES,
    ASSESSMENTS,
    CLAIM_TRANSLATIONS,
    CLAIMS,
    DOCUMENTS,
    EVENT_TRANSLATIONS,
    EVENTS,
    LINKS,
    SOURCES,
)
from db.vocabulary import (
    PlacePrecision,
)

# ---------------------------------------------------------------- export


def source_record(source: Source) -> SourceRecord:
    return SourceRecord(
        name=source.name,
        kind=source.kind,
        side=source.side,
        country=source.country,
        description=source.description,
        short_name=source.short_name,
    )


def document_record(document: Document) -> DocumentRecord:
    return DocumentRecord(
        key=document.key,
        publisher=document.publisher.name if document.publisher else None,
        headline=document.headline,
        opening_words=document.opening_words,
        published_on=document.published_on,
        url=document.url,
        archive=document.archive,
    )


def event_record(event: Event) -> EventRecord:
    return EventRecord(
        slug=event.slug,
        title=event.title,
        summary=event.summary,
        place=event.place,
        region=event.region,
        country=event.country,
        start_date=event.start_date,
        end_date=event.end_date,
        date_precision=event.date_precision,
        date_note=event.date_note,
        # A new row has its column defaults only once flushed.
        place_precision=event.place_precision or PlacePrecision.UNKNOWN,
        hidden=event.hidden,
        aliases=[AliasRecord(text=a.text, lang=a.lang, kind=a.kind) for a in event.aliases],
        related=[
            RelatedEventRecord(
                event=link.related_event.slug, relation=link.relation, note=link.note
            )
            for link in event.links
        ],
        translations={
            t.lang: EventTranslationRecord(title=t.title, summary=t.summary, date_note=t.date_note)
            for t in event.translations
        },
    )


def claim_record(claim: Claim) -> ClaimRecord:
    return ClaimRecord(
        key=claim.key,
        event=claim.event.slug,
        claimant=claim.claimant.name,
        metric=claim.metric,
        subject=claim.subject,
        qualifier=claim.qualifier,
        low=claim.low,
        high=claim.high,
        wording=claim.wording,
        summary=claim.summary,
        quote=claim.quote,
        stated_on=claim.stated_on,
        basis=claim.basis,
        supersedes=claim.supersedes.key if claim.supersedes else None,
        lifecycle=claim.lifecycle,
        status=claim.status,
        hidden=claim.hidden,
        appearances=[
            AppearanceRecord(
                article=a.source_document.key if a.source_document else None,
                publisher=a.publisher.name if a.publisher else None,
                via=a.via.name if a.via else None,
                document=a.document,
                url=a.url,
                title=a.title,
                published_on=a.published_on,
                wording=a.wording,
                figure_wording=a.figure_wording,
            )
            for a in claim.appearances
        ],
        assessments=[
            AssessmentRecord(
                status=a.status,
                rationale=a.rationale,
                reason=a.reason,
                given_by=a.given_by,
                evidence=list(a.evidence),
                documents=list(a.documents or []),
                set_by=a.set_by,
                set_at=a.set_at,
            )
            for a in claim.assessments
        ],
        translations={
            t.lang: ClaimTranslationRecord(summary=t.summary) for t in claim.translations
        },
    )


# What `event_record` and `claim_record` read, loaded with the rows (export and import alike).
EVENT_RECORD_LOADS = (
    selectinload(Event.aliases),
    selectinload(Event.links).selectinload(EventLink.related_event),
    selectinload(Event.translations),
)
CLAIM_RECORD_LOADS = (
    selectinload(Claim.event),
    selectinload(Claim.claimant),
    selectinload(Claim.supersedes),
    selectinload(Claim.appearances).selectinload(Appearance.publisher),
    selectinload(Claim.appearances).selectinload(Appearance.via),
    selectinload(Claim.appearances).selectinload(Appearance.source_document),
    selectinload(Claim.assessments),
    selectinload(Claim.translations),
)


def export_dataset(session: Session) -> DataSet:
    sources = session.scalars(select(Source).order_by(Source.id)).all()
    documents = session.scalars(
        select(Document).options(selectinload(Document.publisher)).order_by(Document.id)
    ).all()
    events = session.scalars(select(Event).options(*EVENT_RECORD_LOADS).order_by(Event.id)).all()
    claims = session.scalars(select(Claim).options(*CLAIM_RECORD_LOADS).order_by(Claim.id)).all()
    return DataSet(
        sources=[source_record(s) for s in sources],
        documents=[document_record(d) for d in documents],
        events=[event_record(e) for e in events],
        claims=[claim_record(c) for c in claims],
    )


# Names per `IN (...)` and records per bulk write: small enough for any database's limit
# on bound parameters, large enough that the round trips do not count.
BATCH = 500

T = TypeVar("T")


def batches(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def ids_by_key(
    session: Session, key: InstrumentedAttribute[str], names: Iterable[str]
) -> dict[str, int]:
    """The ids of the rows whose natural key (`key`) is among `names`, looked up in batches."""
    model = key.class_
    found: dict[str, int] = {}
    for batch in batches(sorted(set(names))):
        rows = session.execute(select(key, model.id).where(key.in_(batch)))
        found.update(rows.all())
    return found


def stored_sources(session: Session, names: Sequence[str]) -> dict[str, Source]:
    return {s.name: s for s in session.scalars(select(Source).where(Source.name.in_(names)))}


def stored_documents(session: Session, keys: Sequence[str]) -> dict[str, Document]:
    query = select(Document).options(selectinload(Document.publisher)).where(Document.key.in_(keys))
    return {d.key: d for d in session.scalars(query)}


def stored_events(session: Session, slugs: Sequence[str]) -> dict[str, Event]:
    query = select(Event).options(*EVENT_RECORD_LOADS).where(Event.slug.in_(slugs))
    return {e.slug: e for e in session.scalars(query)}


def stored_claims(session: Session, keys: Sequence[str]) -> dict[str, Claim]:
    query = select(Claim).options(*CLAIM_RECORD_LOADS).where(Claim.key.in_(keys))
    return {c.key: c for c in session.scalars(query)}


# Columns a record and its row share, by name.
EVENT_COLUMNS = (
    "title",
    "summary",
    "place",
    "region",
    "country",
    "start_date",
    "end_date",
    "date_precision",
    "date_note",
    "place_precision",
    "hidden",
)
# The event columns a translation may give in another language.
EVENT_TRANSLATED_COLUMNS = ("title", "summary", "date_note")
CLAIM_COLUMNS = (
    "metric",
    "subject",
    "qualifier",
    "low",
    "high",
    "wording",
    "summary",
    "quote",
    "stated_on",
    "basis",
    "lifecycle",
    "status",
    "hidden",
)
APPEARANCE_COLUMNS = ("document", "url", "title", "published_on", "wording", "figure_wording")
ASSESSMENT_COLUMNS = ("status", "rationale", "reason", "given_by", "set_by", "set_at")


# A record's stored form as plain data: its fields as `record.model_dump()` gives them (nested
# records as dicts), so that a file's record is compared with what the database holds without
# building a model of each stored row. Models were built for every stored record before, and
# that was most of planning a file the database already holds.
Fields = dict[str, Any]
M = TypeVar("M", bound=BaseModel)
# The fields of events and claims that hold nested records, and their models.
EVENT_PARTS: Mapping[str, type[BaseModel]] = {
    "aliases": AliasRecord,
    "related": RelatedEventRecord,
    "translations": EventTranslationRecord,
}
CLAIM_PARTS: Mapping[str, type[BaseModel]] = {
    "appearances": AppearanceRecord,
    "assessments": AssessmentRecord,
    "translations": ClaimTranslationRecord,
}

# The stored forms are read with plain column queries on the tables, each built once with its
# keys as one expanding parameter: building the statements and the ORM's handling of the rows
# cost more than the database's own work for each batch of keys.
KEYS: BindParameter[str] = bindparam("keys", expanding=True)
IDS: BindParameter[int] = bindparam("ids", expanding=True)


@dataclass(frozen=True)
class _EventReads:
    events: Select[Any]
    aliases: Select[Any]
    links: Select[Any]
    translations: Select[Any]


@cache
def _event_reads() -> _EventReads:
    related = EVENTS.alias()
    return _EventReads(
        select(EVENTS.c.id, EVENTS.c.slug, *(EVENTS.c[c] for c in EVENT_COLUMNS)).where(
            EVENTS.c.slug.in_(KEYS)
        ),
        select(ALIASES.c.event_id, ALIASES.c.text, ALIASES.c.lang, ALIASES.c.kind)
        .where(ALIASES.c.event_id.in_(IDS))
        .order_by(ALIASES.c.id),
        select(LINKS.c.event_id, related.c.slug, LINKS.c.relation, LINKS.c.note)
        .join(related, LINKS.c.related_event_id == related.c.id)
        .where(LINKS.c.event_id.in_(IDS))
        .order_by(LINKS.c.id),
        select(
            EVENT_TRANSLATIONS.c.event_id,
            EVENT_TRANSLATIONS.c.lang,
            *(EVENT_TRANSLATIONS.c[c] for c in EVENT_TRANSLATED_COLUMNS),
        )
        .where(EVENT_TRANSLATIONS.c.event_id.in_(IDS))
        .order_by(EVENT_TRANSLATIONS.c.lang),
    )


def stored_event_fields(session: Session, slugs: Sequence[str]) -> dict[str, Fields]:
    """The stored form of these events (`Fields`)."""
    reads = _event_reads()
    rows = session.execute(reads.events, {"keys": slugs}).all()
    events = {row[0]: dict(zip(("slug", *EVENT_COLUMNS), row[1:], strict=True)) for row in rows}
    for fields in events.values():
        fields["aliases"], fields["related"], fields["translations"] = [], [], {}
    ids = {"ids": list(events)}
    for event_id, text, lang, kind in session.execute(reads.aliases, ids):
        events[event_id]["aliases"].append({"text": text, "lang": lang, "kind": kind})
    for event_id, slug, relation, note in session.execute(reads.links, ids):
        events[event_id]["related"].append({"event": slug, "relation": relation, "note": note})
    for event_id, lang, *texts in session.execute(reads.translations, ids):
        translation = dict(zip(EVENT_TRANSLATED_COLUMNS, texts, strict=True))
        events[event_id]["translations"][lang] = translation
    return {fields["slug"]: fields for fields in events.values()}


def event_record_of(fields: Fields) -> EventRecord:
    """The record of a stored event's fields."""
    return _constructed(EventRecord, fields, EVENT_PARTS)


@dataclass(frozen=True)
class _ClaimReads:
    claims: Select[Any]
    appearances: Select[Any]
    assessments: Select[Any]
    translations: Select[Any]


CLAIM_FIELDS = ("key", "event", "claimant", "supersedes", *CLAIM_COLUMNS)
APPEARANCE_FIELDS = ("article", "publisher", "via", *APPEARANCE_COLUMNS)


@cache
def _claim_reads() -> _ClaimReads:
    claimant, superseded = SOURCES.alias(), CLAIMS.alias()
    publisher, via = SOURCES.alias(), SOURCES.alias()
    return _ClaimReads(
        select(
            CLAIMS.c.id,
            CLAIMS.c.key,
            EVENTS.c.slug,
            claimant.c.name,
            superseded.c.key,
            *(CLAIMS.c[c] for c in CLAIM_COLUMNS),
        )
        .join_from(CLAIMS, EVENTS, CLAIMS.c.event_id == EVENTS.c.id)
        .join(claimant, CLAIMS.c.claimant_id == claimant.c.id)
        .outerjoin(superseded, CLAIMS.c.supersedes_id == superseded.c.id)
        .where(CLAIMS.c.key.in_(KEYS)),
        select(
            APPEARANCES.c.claim_id,
            DOCUMENTS.c.key,
            publisher.c.name,
            via.c.name,
            *(APPEARANCES.c[c] for c in APPEARANCE_COLUMNS),
        )
        .outerjoin(DOCUMENTS, APPEARANCES.c.document_id == DOCUMENTS.c.id)
        .outerjoin(publisher, APPEARANCES.c.publisher_id == publisher.c.id)
        .outerjoin(via, APPEARANCES.c.via_id == via.c.id)
        .where(APPEARANCES.c.claim_id.in_(IDS))
        .order_by(APPEARANCES.c.id),
        select(
            ASSESSMENTS.c.claim_id,
            ASSESSMENTS.c.evidence,
            ASSESSMENTS.c.documents,
            *(ASSESSMENTS.c[c] for c in ASSESSMENT_COLUMNS),
        )
        .where(ASSESSMENTS.c.claim_id.in_(IDS))
        .order_by(ASSESSMENTS.c.id),
        select(
            CLAIM_TRANSLATIONS.c.claim_id, CLAIM_TRANSLATIONS.c.lang, CLAIM_TRANSLATIONS.c.summary
        )
        .where(CLAIM_TRANSLATIONS.c.claim_id.in_(IDS))
        .order_by(CLAIM_TRANSLATIONS.c.lang),
    )


def stored_claim_fields(session: Session, keys: Sequence[str]) -> dict[str, Fields]:
    """The stored form of these claims (`Fields`)."""
    reads = _claim_reads()
    rows = session.execute(reads.claims, {"keys": keys}).all()
    claims = {row[0]: dict(zip(CLAIM_FIELDS, row[1:], strict=True)) for row in rows}
    for fields in claims.values():
        fields["appearances"], fields["assessments"], fields["translations"] = [], [], {}
    ids = {"ids": list(claims)}
    for claim_id, *values in session.execute(reads.appearances, ids):
        claims[claim_id]["appearances"].append(dict(zip(APPEARANCE_FIELDS, values, strict=True)))
    for claim_id, evidence, documents, *values in session.execute(reads.assessments, ids):
        assessment = dict(zip(ASSESSMENT_COLUMNS, values, strict=True))
        assessment["evidence"], assessment["documents"] = list(evidence), list(documents or [])
        claims[claim_id]["assessments"].append(assessment)
    for claim_id, lang, summary in session.execute(reads.translations, ids):
        claims[claim_id]["translations"][lang] = {"summary": summary}
    return {fields["key"]: fields for fields in claims.values()}


def claim_record_of(fields: Fields) -> ClaimRecord:
    """The record of a stored claim's fields."""
    return _constructed(ClaimRecord, fields, CLAIM_PARTS)


def _constructed(model: type[M], fields: Fields, parts: Mapping[str, type[BaseModel]]) -> M:
    """`model` made of stored fields without validation (what is stored was validated when
    it was written); `parts` names the fields holding nested records, as a list or by
    language, and their models."""
    values = dict(fields)
    for name, part in parts.items():
        nested = fields[name]
        values[name] = (
            {key: part.model_construct(**value) for key, value in nested.items()}
            if isinstance(nested, dict)
            else [part.model_construct(**value) for value in nested]
        )
    return model.model_construct(**values)
