"""Records as the database holds them, and the export of the whole data set.

The data-set records (db/dataset_schema.py) of stored rows: from ORM objects for a
moderator's change and the export, and from plain column queries, a batch of keys at a
time, for an import's plan (which compares a file with what the database holds). Export
writes the format import reads, so an export imports back exactly.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased, selectinload

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
EVENT_TRANSLATED = tuple(getattr(EventTranslation, c) for c in EVENT_TRANSLATED_COLUMNS)
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


def event_records(session: Session, slugs: Sequence[str]) -> dict[str, EventRecord]:
    """The stored form of these events, read with plain column queries (building ORM
    objects to compare a large file cost several times more). The records are built
    without validation: what is stored was validated when it was written, and
    validating it again took about a third of planning a file the database holds."""
    rows = session.execute(
        select(Event.id, Event.slug, *(getattr(Event, c) for c in EVENT_COLUMNS)).where(
            Event.slug.in_(slugs)
        )
    ).all()
    ids = [row[0] for row in rows]
    aliases: dict[int, list[AliasRecord]] = defaultdict(list)
    for event_id, text, lang, kind in session.execute(
        select(EventAlias.event_id, EventAlias.text, EventAlias.lang, EventAlias.kind)
        .where(EventAlias.event_id.in_(ids))
        .order_by(EventAlias.id)
    ):
        aliases[event_id].append(AliasRecord.model_construct(text=text, lang=lang, kind=kind))
    links: dict[int, list[RelatedEventRecord]] = defaultdict(list)
    related = aliased(Event)
    for event_id, slug, relation, note in session.execute(
        select(EventLink.event_id, related.slug, EventLink.relation, EventLink.note)
        .join(related, EventLink.related_event_id == related.id)
        .where(EventLink.event_id.in_(ids))
        .order_by(EventLink.id)
    ):
        links[event_id].append(
            RelatedEventRecord.model_construct(event=slug, relation=relation, note=note)
        )
    translations: dict[int, dict[str, EventTranslationRecord]] = defaultdict(dict)
    for event_id, lang, *texts in session.execute(
        select(EventTranslation.event_id, EventTranslation.lang, *EVENT_TRANSLATED)
        .where(EventTranslation.event_id.in_(ids))
        .order_by(EventTranslation.lang)
    ):
        translations[event_id][lang] = EventTranslationRecord.model_construct(
            **dict(zip(EVENT_TRANSLATED_COLUMNS, texts, strict=True))
        )
    return {
        slug: EventRecord.model_construct(
            slug=slug,
            **dict(zip(EVENT_COLUMNS, values, strict=True)),
            aliases=aliases[event_id],
            related=links[event_id],
            translations=translations[event_id],
        )
        for event_id, slug, *values in rows
    }


def claim_records(session: Session, keys: Sequence[str]) -> dict[str, ClaimRecord]:
    """The stored form of these claims, read with plain column queries."""
    claimant, superseded = aliased(Source), aliased(Claim)
    rows = session.execute(
        select(
            Claim.id,
            Claim.key,
            Event.slug,
            claimant.name,
            superseded.key,
            *(getattr(Claim, c) for c in CLAIM_COLUMNS),
        )
        .join(Event, Claim.event_id == Event.id)
        .join(claimant, Claim.claimant_id == claimant.id)
        .outerjoin(superseded, Claim.supersedes_id == superseded.id)
        .where(Claim.key.in_(keys))
    ).all()
    ids = [row[0] for row in rows]
    publisher, via = aliased(Source), aliased(Source)
    appearances: dict[int, list[AppearanceRecord]] = defaultdict(list)
    for claim_id, article, publisher_name, via_name, *values in session.execute(
        select(
            Appearance.claim_id,
            Document.key,
            publisher.name,
            via.name,
            *(getattr(Appearance, c) for c in APPEARANCE_COLUMNS),
        )
        .outerjoin(Document, Appearance.document_id == Document.id)
        .outerjoin(publisher, Appearance.publisher_id == publisher.id)
        .outerjoin(via, Appearance.via_id == via.id)
        .where(Appearance.claim_id.in_(ids))
        .order_by(Appearance.id)
    ):
        appearances[claim_id].append(
            AppearanceRecord.model_construct(
                article=article,
                publisher=publisher_name,
                via=via_name,
                **dict(zip(APPEARANCE_COLUMNS, values, strict=True)),
            )
        )
    assessments: dict[int, list[AssessmentRecord]] = defaultdict(list)
    for claim_id, evidence, documents, *values in session.execute(
        select(
            Assessment.claim_id,
            Assessment.evidence,
            Assessment.documents,
            *(getattr(Assessment, c) for c in ASSESSMENT_COLUMNS),
        )
        .where(Assessment.claim_id.in_(ids))
        .order_by(Assessment.id)
    ):
        assessments[claim_id].append(
            AssessmentRecord.model_construct(
                evidence=list(evidence),
                documents=list(documents or []),
                **dict(zip(ASSESSMENT_COLUMNS, values, strict=True)),
            )
        )
    translations: dict[int, dict[str, ClaimTranslationRecord]] = defaultdict(dict)
    for claim_id, lang, summary in session.execute(
        select(ClaimTranslation.claim_id, ClaimTranslation.lang, ClaimTranslation.summary)
        .where(ClaimTranslation.claim_id.in_(ids))
        .order_by(ClaimTranslation.lang)
    ):
        translations[claim_id][lang] = ClaimTranslationRecord.model_construct(summary=summary)
    return {
        key: ClaimRecord.model_construct(
            key=key,
            event=event,
            claimant=claimant_name,
            supersedes=supersedes,
            **dict(zip(CLAIM_COLUMNS, values, strict=True)),
            appearances=appearances[claim_id],
            assessments=assessments[claim_id],
            translations=translations[claim_id],
        )
        for claim_id, key, event, claimant_name, supersedes, *values in rows
    }
