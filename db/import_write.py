"""Writing a planned import: in bulk, a batch at a time, in the caller's one transaction,
with one audit entry per record."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from db.audit import new_batch, record_change
from db.bulk_insert import insert_rows
from db.dataset_schema import (
    AliasRecord,
    AppearanceRecord,
    AssessmentRecord,
    ClaimRecord,
    ClaimTranslationRecord,
    DocumentRecord,
    EventRecord,
    EventTranslationRecord,
    RelatedEventRecord,
    SourceRecord,
)
from db.import_export import (
    CLAIM_COLUMNS,
    EVENT_COLUMNS,
    batches,
    claim_record,
    document_record,
    event_record,
    ids_by_key,
    source_record,
    stored_claims,
    stored_documents,
    stored_events,
    stored_sources,
)
from db.import_plan import Change, ImportBy, ImportPlan, ImportRejected
from db.models import (
    Appearance,
    Assessment,
    AuditEntry,
    Claim,
    ClaimTranslation,
    Document,
    Event,
    EventAlias,
    EventLink,
    EventTranslation,
    Source,
)
from db.outbox import ClaimChange, watched_events
from db.progress import Phase, Progress


def apply_import(
    session: Session,
    plan: ImportPlan,
    actor: str,
    progress: Progress | None = None,
    by: ImportBy | None = None,
) -> list[ClaimChange]:
    """Write a plan without rejections; the caller's transaction makes it all-or-nothing.

    New rows are inserted in bulk, a batch at a time; changed rows are updated through
    the ORM (their version counters move), a batch per flush. With `by`, new assessments
    are recorded as set by that moderator, at that time. Returns the changes to claims of
    events someone follows, for the caller to note in the outbox (`record_changes`), as
    a moderator's change is.
    """
    if plan.rejected:
        raise ImportRejected(plan)
    writer = _ImportWriter(session, plan, actor, progress, by)
    writer.write_sources()
    writer.write_documents()
    writer.write_events()
    writer.write_claims()
    return writer.watched_changes


Row = dict[str, Any]
R = TypeVar("R", SourceRecord, DocumentRecord, EventRecord, ClaimRecord)


class _ImportWriter:
    def __init__(
        self,
        session: Session,
        plan: ImportPlan,
        actor: str,
        progress: Progress | None,
        by: ImportBy | None,
    ) -> None:
        self.session, self.plan, self.actor, self.progress = session, plan, actor, progress
        self.by = by
        self.changes = {(r.kind, r.name): r.change for r in plan.records}
        self.batch = new_batch()
        self.total = sum(1 for r in plan.records if r.change in (Change.NEW, Change.UPDATED))
        self.done = 0
        self.audited = False
        self.audit_rows: list[Row] = []
        self.watched = watched_events(session)
        self.watched_changes: list[ClaimChange] = []
        if progress:
            progress(Phase.WRITING, 0, self.total)

    def _split(self, kind: str, records: Sequence[R]) -> tuple[list[R], list[R]]:
        """The records of one kind that are new, and those that are updated."""
        new: list[R] = []
        updated: list[R] = []
        for record in records:
            change = self.changes[(kind, _name(record))]
            if change == Change.NEW:
                new.append(record)
            elif change == Change.UPDATED:
                updated.append(record)
        return new, updated

    def _insert(self, model: type[Any], rows: list[Row]) -> None:
        """Insert rows in one statement (executemany): no ids come back, which is what lets
        SQLite take them all at once."""
        insert_rows(self.session, cast(Table, model.__table__), rows)

    def _insert_keyed(self, key: InstrumentedAttribute[str], rows: list[Row]) -> list[int]:
        """Insert rows with a natural key; their new ids, in the rows' order."""
        self._insert(key.parent.class_, rows)
        ids = ids_by_key(self.session, key, [row[key.key] for row in rows])
        return [ids[row[key.key]] for row in rows]

    def _audit(self, change: Change, entity: str, entity_id: int, before: Any, after: Any) -> None:
        if entity == "claim" and (
            after.event in self.watched or (before and before.event in self.watched)
        ):
            self.watched_changes.append(
                ClaimChange(
                    before.model_dump(mode="json") if before else None,
                    after.model_dump(mode="json"),
                )
            )
        if not self.audited:
            # The first entry goes through the session, so that whatever watches flushes
            # for audit entries (card caches, handled marks) sees that this changes data.
            record_change(
                self.session, self.actor, change.value, entity, entity_id, before, after, self.batch
            )
            self.audited = True
            return
        self.audit_rows.append(
            {
                "actor": self.actor,
                "action": change.value,
                "entity": entity,
                "entity_id": entity_id,
                # JSON's null, as SQLAlchemy writes None to a JSON column.
                "before": before.model_dump_json() if before else "null",
                "after": after.model_dump_json(),
                "batch": self.batch,
            }
        )

    def _written(self, count: int) -> None:
        """Write a batch's audit entries and pending changes, and report it."""
        insert_rows(
            self.session,
            AuditEntry.__table__,
            self.audit_rows,
            json_text=("before", "after"),
        )
        self.audit_rows = []
        self.session.flush()
        self.done += count
        if self.progress:
            self.progress(Phase.WRITING, self.done, self.total)

    def _inserted(self, kind: str, records: Sequence[R], ids: list[int]) -> None:
        for row_id, record in zip(ids, records, strict=True):
            self._audit(Change.NEW, kind, row_id, None, record)

    def write_sources(self) -> None:
        new, updated = self._split("source", self.plan.dataset.sources)
        for batch in batches(new):
            rows = [{"name": r.name, **_source_values(r)} for r in batch]
            self._inserted("source", batch, self._insert_keyed(Source.name, rows))
            self._written(len(batch))
        for batch in batches(updated):
            stored = stored_sources(self.session, [r.name for r in batch])
            for record in batch:
                source = stored[record.name]
                before = source_record(source)
                for name, value in _source_values(record).items():
                    setattr(source, name, value)
                self._audit(Change.UPDATED, "source", source.id, before, record)
            self._written(len(batch))

    def write_documents(self) -> None:
        dataset = self.plan.dataset
        new, updated = self._split("document", dataset.documents)
        sources = ids_by_key(
            self.session, Source.name, (d.publisher for d in new + updated if d.publisher)
        )
        for batch in batches(new):
            rows = [{"key": r.key, **_document_values(r, sources)} for r in batch]
            self._inserted("document", batch, self._insert_keyed(Document.key, rows))
            self._written(len(batch))
        for batch in batches(updated):
            stored = stored_documents(self.session, [r.key for r in batch])
            for record in batch:
                document = stored[record.key]
                before = document_record(document)
                for name, value in _document_values(record, sources).items():
                    setattr(document, name, value)
                self._audit(Change.UPDATED, "document", document.id, before, record)
            self._written(len(batch))

    def write_events(self) -> None:
        """New events first, so that every event a link names exists when links are set."""
        new, updated = self._split("event", self.plan.dataset.events)
        new_ids: list[int] = []
        for batch in batches(new):
            ids = self._insert_keyed(
                Event.slug, [{"slug": r.slug, **_event_values(r)} for r in batch]
            )
            aliases = [
                {"event_id": event_id, "text": a.text, "lang": a.lang, "kind": a.kind}
                for event_id, record in zip(ids, batch, strict=True)
                for a in record.aliases
            ]
            self._insert(EventAlias, aliases)
            translations = [
                {"event_id": event_id, "lang": lang, **t.model_dump()}
                for event_id, record in zip(ids, batch, strict=True)
                for lang, t in record.translations.items()
            ]
            self._insert(EventTranslation, translations)
            self._inserted("event", batch, ids)
            new_ids += ids
            self._written(len(batch))
        related = ids_by_key(
            self.session, Event.slug, (link.event for r in new + updated for link in r.related)
        )
        for batch in batches(updated):
            stored = stored_events(self.session, [r.slug for r in batch])
            for record in batch:
                event = stored[record.slug]
                before = event_record(event)
                _fill_event(event, record)
                event.links = [
                    _updated_link(event, link, related[link.event]) for link in record.related
                ]
                self._audit(Change.UPDATED, "event", event.id, before, record)
            self._written(len(batch))
        links = [
            {
                "event_id": event_id,
                "related_event_id": related[link.event],
                "relation": link.relation,
                "note": link.note,
            }
            for event_id, record in zip(new_ids, new, strict=True)
            for link in record.related
        ]
        for rows in batches(links):
            self._insert(EventLink, list(rows))

    def write_claims(self) -> None:
        """New claims first; then which claim each supersedes, once all of them exist."""
        new, updated = self._split("claim", self.plan.dataset.claims)
        refs = _References.of(self.session, new + updated)
        superseding: list[tuple[int, str]] = []
        for batch in batches(new):
            ids = self._insert_keyed(
                Claim.key, [{"key": r.key, **_claim_values(r, refs)} for r in batch]
            )
            appearances: list[dict[str, Any]] = []
            assessments: list[dict[str, Any]] = []
            translations: list[dict[str, Any]] = []
            for claim_id, record in zip(ids, batch, strict=True):
                appearances += [
                    {"claim_id": claim_id, **_appearance_values(a, refs)}
                    for a in record.appearances
                ]
                assessments += [
                    {"claim_id": claim_id, **_assessment_values(a, self.by)}
                    for a in record.assessments
                ]
                translations += [
                    {"claim_id": claim_id, "lang": lang, "summary": t.summary}
                    for lang, t in record.translations.items()
                ]
                if record.supersedes:
                    superseding.append((claim_id, record.supersedes))
            self._insert(Appearance, appearances)
            self._insert(Assessment, assessments)
            self._insert(ClaimTranslation, translations)
            self._inserted("claim", batch, ids)
            self._written(len(batch))
        claims = ids_by_key(
            self.session, Claim.key, (r.supersedes for r in new + updated if r.supersedes)
        )
        for batch in batches(updated):
            stored = stored_claims(self.session, [r.key for r in batch])
            for record in batch:
                claim = stored[record.key]
                before = claim_record(claim)
                _fill_claim(claim, record, refs, self.by)
                claim.supersedes_id = claims[record.supersedes] if record.supersedes else None
                self._audit(Change.UPDATED, "claim", claim.id, before, record)
            self._written(len(batch))
        # Rows inserted just now: no version to move, nothing loaded to keep in step.
        table = Claim.__table__
        set_supersedes = (
            update(table)
            .where(table.c.id == bindparam("claim_id"))
            .values(supersedes_id=bindparam("supersedes_id"))
        )
        for pairs in batches(superseding):
            self.session.execute(
                set_supersedes,
                [{"claim_id": c, "supersedes_id": claims[key]} for c, key in pairs],
            )


def _name(record: SourceRecord | DocumentRecord | EventRecord | ClaimRecord) -> str:
    if isinstance(record, SourceRecord):
        return record.name
    if isinstance(record, EventRecord):
        return record.slug
    return record.key


@dataclass(frozen=True)
class _References:
    """The ids of the sources, documents and events the claims being written name."""

    sources: dict[str, int]
    documents: dict[str, int]
    events: dict[str, int]

    @classmethod
    def of(cls, session: Session, claims: list[ClaimRecord]) -> "_References":
        sources = {c.claimant for c in claims}
        documents: set[str] = set()
        for claim in claims:
            for appearance in claim.appearances:
                sources.update(n for n in (appearance.publisher, appearance.via) if n)
                if appearance.article:
                    documents.add(appearance.article)
        return cls(
            ids_by_key(session, Source.name, sources),
            ids_by_key(session, Document.key, documents),
            ids_by_key(session, Event.slug, {c.event for c in claims}),
        )


def _source_values(record: SourceRecord) -> dict[str, Any]:
    return {
        "kind": record.kind,
        "side": record.side,
        "country": record.country,
        "description": record.description,
        "short_name": record.short_name,
    }


def _document_values(record: DocumentRecord, sources: dict[str, int]) -> dict[str, Any]:
    return {
        "publisher_id": sources[record.publisher] if record.publisher else None,
        "headline": record.headline,
        "opening_words": record.opening_words,
        "published_on": record.published_on,
        "url": record.url,
        "archive": record.archive,
    }


def _event_values(record: EventRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in EVENT_COLUMNS}


def _claim_values(record: ClaimRecord, refs: _References) -> dict[str, Any]:
    return {
        "event_id": refs.events[record.event],
        "claimant_id": refs.sources[record.claimant],
        **{name: getattr(record, name) for name in CLAIM_COLUMNS},
    }


def _appearance_values(record: AppearanceRecord, refs: _References) -> dict[str, Any]:
    return {
        "document_id": refs.documents[record.article] if record.article else None,
        "publisher_id": refs.sources[record.publisher] if record.publisher else None,
        "via_id": refs.sources[record.via] if record.via else None,
        "document": record.document,
        "url": record.url,
        "title": record.title,
        "published_on": record.published_on,
        "wording": record.wording,
        "figure_wording": record.figure_wording,
    }


def _assessment_values(record: AssessmentRecord, by: ImportBy | None) -> dict[str, Any]:
    return {
        "status": record.status,
        "rationale": record.rationale,
        "reason": record.reason,
        "given_by": record.given_by,
        "evidence": list(record.evidence),
        "documents": list(record.documents),
        "set_by": by.actor if by else record.set_by,
        "set_at": by.at if by else record.set_at.astimezone(dt.UTC),
    }


def _fill_event(event: Event, record: EventRecord) -> None:
    for name, value in _event_values(record).items():
        setattr(event, name, value)
    kept = {a.text: a for a in event.aliases}
    event.aliases = [
        _updated_alias(kept.get(a.text) or EventAlias(text=a.text), a) for a in record.aliases
    ]
    set_event_translations(event, record.translations)


def set_event_translations(event: Event, records: dict[str, EventTranslationRecord]) -> None:
    """Give the event exactly these translations, in the order it loads them (by language),
    reusing its row for each language kept (a new row would be inserted before the old one
    is deleted, against the unique key)."""
    kept = {t.lang: t for t in event.translations}
    rows = []
    for lang, record in sorted(records.items()):
        row = kept.get(lang) or EventTranslation(lang=lang)
        row.title, row.summary, row.date_note = record.title, record.summary, record.date_note
        rows.append(row)
    event.translations = rows


def set_claim_translations(claim: Claim, records: dict[str, ClaimTranslationRecord]) -> None:
    """Give the claim exactly these translations, reusing its row for each language kept."""
    kept = {t.lang: t for t in claim.translations}
    rows = []
    for lang, record in sorted(records.items()):
        row = kept.get(lang) or ClaimTranslation(lang=lang)
        row.summary = record.summary
        rows.append(row)
    claim.translations = rows


def _updated_link(event: Event, record: RelatedEventRecord, related_id: int) -> EventLink:
    """The event's existing link to `related_id`, else a new one.

    Replacing an unchanged link with a new row would insert it before the old one is
    deleted, against the unique (event, related event, relation) constraint.
    """
    for link in event.links:
        if link.related_event_id == related_id and link.relation == record.relation:
            link.note = record.note
            return link
    return EventLink(related_event_id=related_id, relation=record.relation, note=record.note)


def _updated_alias(alias: EventAlias, record: AliasRecord) -> EventAlias:
    alias.lang, alias.kind = record.lang, record.kind
    return alias


def _fill_claim(claim: Claim, record: ClaimRecord, refs: _References, by: ImportBy | None) -> None:
    for name, value in _claim_values(record, refs).items():
        setattr(claim, name, value)
    claim.appearances = [Appearance(**_appearance_values(a, refs)) for a in record.appearances]
    set_claim_translations(claim, record.translations)
    # Assessments are append-only: only the ones the database does not have yet are added.
    for assessment in record.assessments[len(claim.assessments) :]:
        claim.assessments.append(Assessment(**_assessment_values(assessment, by)))
