"""Undo: reverting one audit entry, the building block of `/undo`.

A reverted row gets its recorded "before" back; what a command created is hidden (a
source is deleted if nothing names it). The revert is itself audited, in a batch
named after the one it undoes, so undone commands are not undone twice.
"""

from typing import TYPE_CHECKING

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.moderation.lookup import get_row, history_ref, label
from bot.moderation.work import RowChange, Work, dump
from bot.tipline.actions import INBOX_ENTITY, revert_item
from db.audit import record_change
from db.models import (
    Appearance,
    Assessment,
    AuditEntry,
    Claim,
    Document,
    Event,
    EventAlias,
    EventLink,
    Source,
    utcnow,
)

# Entities `undo` can revert; grants are undone with /revoke.
DATA_ENTITIES = ("event", "claim", "source", INBOX_ENTITY)
UNDO_PREFIX = "undo:"

if TYPE_CHECKING:
    from db.dataset_schema import ClaimRecord, EventRecord, SourceRecord


def _restore_source(source: Source, record: "SourceRecord") -> None:
    source.name, source.kind, source.side = record.name, record.kind, record.side
    source.country, source.description = record.country, record.description
    source.short_name = record.short_name


def _restore_event(w: Work, event: Event, record: "EventRecord") -> None:
    from db.import_write import set_event_translations  # as the records: for an undo only

    event.slug, event.title, event.summary = record.slug, record.title, record.summary
    event.place, event.region, event.country = record.place, record.region, record.country
    event.start_date, event.end_date = record.start_date, record.end_date
    event.date_precision, event.date_note = record.date_precision, record.date_note
    event.place_precision, event.hidden = record.place_precision, record.hidden
    kept = {a.text: a for a in event.aliases}
    aliases = []
    for alias in record.aliases:
        alias_row = kept.get(alias.text) or EventAlias(text=alias.text)
        alias_row.lang, alias_row.kind = alias.lang, alias.kind
        aliases.append(alias_row)
    event.aliases = aliases
    # Rows are reused where they still fit: a flush inserts before it deletes, so new
    # copies of unchanged links would collide with the old ones' unique key.
    kept_links = {(link.related_event.slug, link.relation): link for link in event.links}
    links = []
    for link in record.related:
        link_row = kept_links.get((link.event, link.relation)) or EventLink(
            related_event=w.event(link.event), relation=link.relation
        )
        link_row.note = link.note
        links.append(link_row)
    event.links = links
    set_event_translations(event, record.translations)


def _restore_claim(w: Work, claim: Claim, record: "ClaimRecord") -> None:
    from db.import_write import set_claim_translations  # as the records: for an undo only

    claim.key, claim.event = record.key, w.event(record.event)
    claim.claimant = w.source(record.claimant, "claimant")
    claim.metric, claim.subject = record.metric, record.subject
    claim.qualifier, claim.low, claim.high = record.qualifier, record.low, record.high
    claim.wording, claim.summary, claim.quote = record.wording, record.summary, record.quote
    claim.stated_on, claim.basis = record.stated_on, record.basis
    claim.supersedes = w.claim(record.supersedes) if record.supersedes else None
    claim.lifecycle, claim.hidden = record.lifecycle, record.hidden
    claim.appearances = [
        Appearance(
            source_document=w.session.scalar(select(Document).where(Document.key == a.article))
            if a.article
            else None,
            publisher=w.source(a.publisher, "publisher") if a.publisher else None,
            via=w.source(a.via, "via") if a.via else None,
            document=a.document,
            url=a.url,
            title=a.title,
            published_on=a.published_on,
            wording=a.wording,
            figure_wording=a.figure_wording,
        )
        for a in record.appearances
    ]
    set_claim_translations(claim, record.translations)
    if claim.status != record.status or len(claim.assessments) > len(record.assessments):
        # Assessments are append-only: undoing a status change adds the earlier status
        # back on top of the history instead of removing the newer one.
        previous = record.assessments[-1] if record.assessments else None
        earlier = (
            f" Earlier reason: {previous.rationale}" if previous and previous.rationale else ""
        )
        claim.assessments.append(
            Assessment(
                status=record.status,
                rationale=f"Undo: the change to {claim.status.value} was reverted.{earlier}",
                evidence=list(previous.evidence) if previous else [],
                set_by=w.actor,
                set_at=utcnow(),
            )
        )
        claim.status = record.status


def revert(w: Work, entry: AuditEntry) -> None:
    if entry.entity == INBOX_ENTITY:
        revert_item(w, entry)
        return
    row = get_row(w.session, entry.entity, entry.entity_id)
    if row is None:
        w.fail(f"the {entry.entity} that change made no longer exists.")
    current = w.snapshot(row)
    if _changed_since(w.session, entry):
        w.fail(
            f"{label(row)} has been changed since, so undoing would overwrite that later "
            f"change; nothing was undone. See /history {history_ref(row)}."
        )
    if isinstance(row, Event | Claim):
        w.touched.add(row.slug if isinstance(row, Event) else row.event.slug)
    # Imported here, as in `Work.snapshot`: only an undo needs the records.
    from db.dataset_schema import ClaimRecord, EventRecord, SourceRecord

    if entry.before is None:
        if isinstance(row, Source):
            _undo_new_source(w, row, current)
            return
        # What the command created is hidden, not destroyed: the audit log keeps it.
        row.hidden = True
    elif isinstance(row, Event):
        _restore_event(w, row, EventRecord.model_validate(entry.before))
        w.touched.add(row.slug)
    elif isinstance(row, Claim):
        _restore_claim(w, row, ClaimRecord.model_validate(entry.before))
        w.touched.add(row.event.slug)
    else:
        _restore_source(row, SourceRecord.model_validate(entry.before))
    w.save("undo", row, current)


def _changed_since(session: Session, entry: AuditEntry) -> bool:
    """Whether a later command changed the row, not counting commands undone since."""
    later = set(
        session.scalars(
            select(AuditEntry.batch).where(
                AuditEntry.entity == entry.entity,
                AuditEntry.entity_id == entry.entity_id,
                AuditEntry.id > entry.id,
                AuditEntry.batch != entry.batch,
            )
        )
    )
    cancelled = {b for b in later if UNDO_PREFIX + b in later}
    cancelled |= {UNDO_PREFIX + b for b in cancelled}
    return bool(later - cancelled)


def _undo_new_source(w: Work, source: Source, current: BaseModel) -> None:
    """A source the command added goes again, unless claims now name it."""
    used = w.session.scalar(
        select(func.count(Claim.id)).where(Claim.claimant_id == source.id)
    ) or w.session.scalar(
        select(func.count(Appearance.id)).where(
            (Appearance.publisher_id == source.id) | (Appearance.via_id == source.id)
        )
    )
    if used:
        w.notes.append(f"Kept source {source.name!r}: claims still name it.")
        return
    source_id = source.id
    w.session.delete(source)
    w.session.flush()
    record_change(w.session, w.actor, "undo", "source", source_id, current, None, w.batch)
    w.changes.append(RowChange("source", source_id, source.name, "undo", dump(current), None))
