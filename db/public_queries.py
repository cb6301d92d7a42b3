"""Read-side queries of the public web site that the bot's views do not cover: one event's
visible claims as data-set records, for its page's ClaimReview JSON-LD."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.dataset_schema import DataSet
from db.import_export import (
    CLAIM_RECORD_LOADS,
    claim_record,
    document_record,
    event_record,
    source_record,
)
from db.models import Claim, Document, Event


def visible_claims_and_documents(
    session: Session, event: Event
) -> tuple[Sequence[Claim], Sequence[Document]]:
    """An event's visible claims, with everything their records hold loaded (translations
    too: one query, not one a claim), and the documents they cite (through their
    appearances or their assessments)."""
    claims = session.scalars(
        select(Claim)
        .where(Claim.event_id == event.id, Claim.hidden.is_(False))
        .options(*CLAIM_RECORD_LOADS)
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


def event_dataset(session: Session, slug: str) -> DataSet | None:
    """The visible event `slug` with its visible claims, their claimants and the documents
    they cite; None if there is no such visible event."""
    event = session.scalar(
        select(Event)
        .where(Event.slug == slug, Event.hidden.is_(False))
        .options(
            selectinload(Event.aliases),
            selectinload(Event.links),
            selectinload(Event.translations),
        )
    )
    if event is None:
        return None
    claims, documents = visible_claims_and_documents(session, event)
    sources = {c.claimant.id: c.claimant for c in claims}
    return DataSet(
        sources=[source_record(s) for s in sources.values()],
        documents=[document_record(d) for d in documents],
        events=[event_record(event)],
        claims=[claim_record(c) for c in claims],
    )
