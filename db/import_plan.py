"""Planning an import: each record of a file sorted into new / updated / unchanged / rejected.

Only a plan without rejections can be applied (db/import_write.py). Planning reads only
the rows the file names, a batch at a time, and writes nothing.

The operator's `claimbot import` keeps a file's history as it is. A moderator's import
through Telegram (`ImportBy`) obeys what the commands enforce: only admins hide or show
records, a status change needs a new assessment with what `/status` needs, and new
assessments are recorded as set by the importing moderator, now.
"""

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from db.dataset_schema import (
    ClaimRecord,
    DataSet,
    EventRecord,
)
from db.import_export import (
    BATCH,
    batches,
    claim_record_of,
    document_record,
    event_record_of,
    ids_by_key,
    source_record,
    stored_claim_fields,
    stored_documents,
    stored_event_fields,
    stored_sources,
)
from db.models import (
    Claim,
    Document,
    Event,
    Source,
)
from db.outbox import differs, seen, watched_events
from db.progress import Phase, Progress
from db.vocabulary import (
    FIRST_YEAR,
    LAST_YEAR,
    STATUSES_NEEDING_EVIDENCE,
    STATUSES_NEEDING_REASON,
    VerificationStatus,
)


class Change(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@dataclass(frozen=True)
class PlannedRecord:
    kind: str  # "source", "document", "event" or "claim"
    name: str
    change: Change
    reason: str | None = None


@dataclass
class ImportPlan:
    dataset: DataSet
    records: list[PlannedRecord] = field(default_factory=list)
    # Followed events whose claims readers would see change: their followers will be told.
    told_events: set[str] = field(default_factory=set)

    def count(self, kind: str, change: Change) -> int:
        return self.counts()[kind, change]

    def counts(self) -> Counter[tuple[str, Change]]:
        return Counter((r.kind, r.change) for r in self.records)

    @property
    def rejected(self) -> list[PlannedRecord]:
        return [r for r in self.records if r.change == Change.REJECTED]

    @property
    def has_changes(self) -> bool:
        return any(r.change in (Change.NEW, Change.UPDATED) for r in self.records)

    def summary(self) -> str:
        lines = []
        counted = self.counts()
        for kind in ("source", "document", "event", "claim"):
            counts = ", ".join(
                f"{counted[kind, change]} {change.value}"
                for change in Change
                if counted[kind, change]
            )
            lines.append(f"{kind}s: {counts or 'none'}")
        lines.extend(f"rejected {r.kind} {r.name!r}: {r.reason}" for r in self.rejected)
        return "\n".join(lines)


@dataclass(frozen=True)
class ImportBy:
    """A moderator importing a file through the bot, so the commands' rules apply."""

    actor: str
    may_hide: bool  # admins only, as with /restore
    at: dt.datetime


def _hiding_problems(by: ImportBy | None, hidden: bool, old_hidden: bool | None) -> list[str]:
    if by is None or by.may_hide or hidden == bool(old_hidden):
        return []
    return [f"only admins may {'hide' if hidden else 'show'} it (use /delete to hide it)"]


def _dates(record: EventRecord | ClaimRecord | None) -> dict[str, dt.date | None]:
    if isinstance(record, EventRecord):
        return {"start_date": record.start_date, "end_date": record.end_date}
    if isinstance(record, ClaimRecord):
        published = {
            f"appearance {number}: published_on": appearance.published_on
            for number, appearance in enumerate(record.appearances, start=1)
        }
        return {"stated_on": record.stated_on, **published}
    return {}


def _date_problems(
    by: ImportBy | None, record: EventRecord | ClaimRecord, old: EventRecord | ClaimRecord | None
) -> list[str]:
    """Dates a moderator may not enter with a command are refused in their file too."""
    if by is None:
        return []
    before = _dates(old)
    return [
        f"{name} {date.isoformat()} is outside {FIRST_YEAR}-{LAST_YEAR}"
        for name, date in _dates(record).items()
        if date is not None
        and date != before.get(name)
        and not FIRST_YEAR <= date.year <= LAST_YEAR
    ]


def _status_problems(by: ImportBy | None, claim: ClaimRecord, old: ClaimRecord | None) -> list[str]:
    """What `/status` would refuse in the claim's new assessments and status."""
    if by is None:
        return []
    added = claim.assessments[len(old.assessments) if old else 0 :]
    problems = []
    for assessment in added:
        status = assessment.status
        if status in STATUSES_NEEDING_REASON and not assessment.rationale:
            problems.append(f"a new {status.value} assessment needs a rationale (its reason)")
        if status in STATUSES_NEEDING_EVIDENCE and not assessment.evidence:
            problems.append(f"a new {status.value} assessment needs evidence (an address)")
    was = old.status if old else VerificationStatus.UNVERIFIED
    if claim.status != was and (not added or added[-1].status != claim.status):
        problems.append(
            f"status {claim.status.value} needs a new assessment setting it, with what "
            "/status needs (a rationale, and for confirmed or false evidence)"
        )
    return problems


class ImportRejected(Exception):
    """The plan has rejected records; nothing was written."""

    def __init__(self, plan: ImportPlan) -> None:
        super().__init__(plan.summary())
        self.plan = plan


def _duplicates(names: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    twice: set[str] = set()
    for name in names:
        (twice if name in seen else seen).add(name)
    return twice


@dataclass(frozen=True)
class _Known:
    """Every natural key a record of the file may refer to: the file's own records and
    the database's rows the file names (looked up by key, never the whole database)."""

    sources: set[str]
    documents: set[str]
    events: set[str]
    claims: set[str]

    @classmethod
    def of(cls, session: Session, dataset: DataSet) -> "_Known":
        sources = {s.name for s in dataset.sources}
        documents = {d.key for d in dataset.documents}
        events = {e.slug for e in dataset.events}
        claims = {c.key for c in dataset.claims}
        named_sources = {d.publisher for d in dataset.documents if d.publisher}
        named_documents: set[str] = set()
        named_events = {link.event for e in dataset.events for link in e.related}
        named_claims = {c.supersedes for c in dataset.claims if c.supersedes}
        for claim in dataset.claims:
            named_sources.add(claim.claimant)
            named_events.add(claim.event)
            for appearance in claim.appearances:
                named_sources.update(n for n in (appearance.publisher, appearance.via) if n)
                if appearance.article:
                    named_documents.add(appearance.article)
            for assessment in claim.assessments:
                if assessment.given_by:
                    named_sources.add(assessment.given_by)
                named_documents.update(assessment.documents)
        return cls(
            sources | set(ids_by_key(session, Source.name, named_sources - sources)),
            documents | set(ids_by_key(session, Document.key, named_documents - documents)),
            events | set(ids_by_key(session, Event.slug, named_events - events)),
            claims | set(ids_by_key(session, Claim.key, named_claims - claims)),
        )


def plan_import(
    session: Session,
    dataset: DataSet,
    by: ImportBy | None = None,
    progress: Progress | None = None,
) -> ImportPlan:
    """Sort every record of the file into new/updated/unchanged/rejected; writes nothing.

    Only the rows the file names are read, a batch at a time, so planning costs what the
    file holds whatever the size of the database.
    """
    known = _Known.of(session, dataset)
    plan = ImportPlan(dataset)
    total = len(dataset.sources) + len(dataset.documents) + len(dataset.events)
    total += len(dataset.claims)
    if progress:
        progress(Phase.PLANNING, 0, total)

    def classify(kind: str, name: str, change: Change, problems: list[str]) -> None:
        if problems:
            plan.records.append(PlannedRecord(kind, name, Change.REJECTED, "; ".join(problems)))
        else:
            plan.records.append(PlannedRecord(kind, name, change))
        if progress and (len(plan.records) % BATCH == 0 or len(plan.records) == total):
            progress(Phase.PLANNING, len(plan.records), total)

    def change(new: Any, old: Any) -> Change:
        return Change.NEW if old is None else Change.UNCHANGED if new == old else Change.UPDATED

    twice = _duplicates(s.name for s in dataset.sources)
    for sources in batches(dataset.sources):
        sources_in_db = stored_sources(session, [s.name for s in sources])
        for source in sources:
            problems = ["listed twice in the file"] if source.name in twice else []
            stored_source = sources_in_db.get(source.name)
            old_source = source_record(stored_source) if stored_source else None
            classify("source", source.name, change(source, old_source), problems)

    twice = _duplicates(d.key for d in dataset.documents)
    for documents in batches(dataset.documents):
        documents_in_db = stored_documents(session, [d.key for d in documents])
        for document in documents:
            problems = ["listed twice in the file"] if document.key in twice else []
            if document.publisher and document.publisher not in known.sources:
                problems.append(f"publisher {document.publisher!r} is not a known source")
            stored_document = documents_in_db.get(document.key)
            old_document = document_record(stored_document) if stored_document else None
            classify("document", document.key, change(document, old_document), problems)

    # Events and claims, most of a large file, are compared as plain data (`Fields`): a
    # record unchanged costs a keyed lookup and a comparison, and only a changed record's
    # stored form is made a record, for the rules on changes and the followers.
    twice = _duplicates(e.slug for e in dataset.events)
    for events in batches(dataset.events):
        events_in_db = stored_event_fields(session, [e.slug for e in events])
        for event in events:
            problems = ["listed twice in the file"] if event.slug in twice else []
            problems += [
                f"related event {link.event!r} does not exist"
                for link in event.related
                if link.event not in known.events
            ]
            stored = events_in_db.get(event.slug)
            if stored is not None and event.model_dump() == stored:
                classify("event", event.slug, Change.UNCHANGED, problems)
                continue
            old_event = None if stored is None else event_record_of(stored)
            problems += _hiding_problems(by, event.hidden, old_event.hidden if old_event else None)
            problems += _date_problems(by, event, old_event)
            classify("event", event.slug, Change.UPDATED if old_event else Change.NEW, problems)

    twice = _duplicates(c.key for c in dataset.claims)
    watched = watched_events(session)
    for claims in batches(dataset.claims):
        claims_in_db = stored_claim_fields(session, [c.key for c in claims])
        for claim in claims:
            problems = ["listed twice in the file"] if claim.key in twice else []
            problems += _reference_problems(claim, known)
            stored = claims_in_db.get(claim.key)
            if stored is not None and claim.model_dump() == stored:
                classify("claim", claim.key, Change.UNCHANGED, problems)
                continue
            old = None if stored is None else claim_record_of(stored)
            problems += _change_problems(claim, old, by)
            classify("claim", claim.key, Change.UPDATED if old else Change.NEW, problems)
            affected = {claim.event, *([old.event] if old else [])} & watched
            # Only followed events' claims are compared, so a large file costs no more for it.
            if not problems and affected and _noticed(old, claim):
                plan.told_events |= affected
    return plan


def _noticed(old: ClaimRecord | None, new: ClaimRecord) -> bool:
    """Whether readers would see the claim change, as the outbox judges a change."""
    before = seen(old.model_dump(mode="json")) if old else None
    return differs(before, seen(new.model_dump(mode="json")))


def _reference_problems(claim: ClaimRecord, known: _Known) -> list[str]:
    """The claim's references to records neither the file nor the database has."""
    problems = []
    if claim.event not in known.events:
        problems.append(f"event {claim.event!r} does not exist")
    if claim.claimant not in known.sources:
        problems.append(f"claimant {claim.claimant!r} is not a known source")
    if claim.supersedes and claim.supersedes not in known.claims:
        problems.append(f"supersedes unknown claim {claim.supersedes!r}")
    for number, appearance in enumerate(claim.appearances, start=1):
        for role in ("publisher", "via"):
            name = getattr(appearance, role)
            if name and name not in known.sources:
                problems.append(f"appearance {number}: {role} {name!r} is not a known source")
        if appearance.article and appearance.article not in known.documents:
            problems.append(
                f"appearance {number}: article {appearance.article!r} is not a listed document"
            )
    for number, assessment in enumerate(claim.assessments, start=1):
        if assessment.given_by and assessment.given_by not in known.sources:
            problems.append(
                f"assessment {number}: given_by {assessment.given_by!r} is not a known source"
            )
        problems += [
            f"assessment {number}: document {key!r} is not a listed document"
            for key in assessment.documents
            if key not in known.documents
        ]
    return problems


def _change_problems(claim: ClaimRecord, old: ClaimRecord | None, by: ImportBy | None) -> list[str]:
    """What the rules on changes refuse in this new or changed claim."""
    problems = []
    if old and claim.assessments[: len(old.assessments)] != old.assessments:
        problems.append(
            "assessments are append-only: the file must keep the "
            f"{len(old.assessments)} already recorded and may only add new ones"
        )
    problems += _hiding_problems(by, claim.hidden, old.hidden if old else None)
    problems += _status_problems(by, claim, old)
    problems += _date_problems(by, claim, old)
    return problems
