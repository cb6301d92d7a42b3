"""Moving whole data sets in and out of the database.

Import is planned before it is applied: the file is validated as a whole,
checked against what the database already holds, and each record is sorted
into new / updated / unchanged / rejected. Only a plan without rejections
can be applied, in the caller's single transaction, with one audit entry per
record. Export writes the same format, so an export imports back exactly.

The operator's `claimbot import` keeps a file's history as it is. A moderator's import
through Telegram (`ImportBy`) obeys what the commands enforce: only admins hide or show
records, a status change needs a new assessment with what `/status` needs, and new
assessments are recorded as set by the importing moderator, now.
"""

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased, selectinload

from db.audit import new_batch, record_change
from db.dataset_schema import (
    AliasRecord,
    AppearanceRecord,
    AssessmentRecord,
    ClaimRecord,
    DataSet,
    DocumentRecord,
    EventRecord,
    RelatedEventRecord,
    SourceRecord,
)
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
)
from db.progress import Phase, Progress
from db.vocabulary import (
    FIRST_YEAR,
    LAST_YEAR,
    STATUSES_NEEDING_EVIDENCE,
    STATUSES_NEEDING_REASON,
    PlacePrecision,
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
    )


def export_dataset(session: Session) -> DataSet:
    sources = session.scalars(select(Source).order_by(Source.id)).all()
    documents = session.scalars(
        select(Document).options(selectinload(Document.publisher)).order_by(Document.id)
    ).all()
    events = session.scalars(
        select(Event)
        .options(
            selectinload(Event.aliases),
            selectinload(Event.links).selectinload(EventLink.related_event),
        )
        .order_by(Event.id)
    ).all()
    claims = session.scalars(
        select(Claim)
        .options(
            selectinload(Claim.event),
            selectinload(Claim.claimant),
            selectinload(Claim.supersedes),
            selectinload(Claim.appearances).selectinload(Appearance.publisher),
            selectinload(Claim.appearances).selectinload(Appearance.via),
            selectinload(Claim.appearances).selectinload(Appearance.source_document),
            selectinload(Claim.assessments),
        )
        .order_by(Claim.id)
    ).all()
    return DataSet(
        sources=[source_record(s) for s in sources],
        documents=[document_record(d) for d in documents],
        events=[event_record(e) for e in events],
        claims=[claim_record(c) for c in claims],
    )


# ---------------------------------------------------------------- import

# Names per `IN (...)` and records per bulk write: small enough for any database's limit
# on bound parameters, large enough that the round trips do not count.
BATCH = 500

T = TypeVar("T")


def _batches(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def _ids(session: Session, key: InstrumentedAttribute[str], names: Iterable[str]) -> dict[str, int]:
    """The ids of the rows whose natural key (`key`) is among `names`, looked up in batches."""
    model = key.class_
    found: dict[str, int] = {}
    for batch in _batches(sorted(set(names))):
        rows = session.execute(select(key, model.id).where(key.in_(batch)))
        found.update(rows.all())
    return found


def _stored_sources(session: Session, names: Sequence[str]) -> dict[str, Source]:
    return {s.name: s for s in session.scalars(select(Source).where(Source.name.in_(names)))}


def _stored_documents(session: Session, keys: Sequence[str]) -> dict[str, Document]:
    query = select(Document).options(selectinload(Document.publisher)).where(Document.key.in_(keys))
    return {d.key: d for d in session.scalars(query)}


def _stored_events(session: Session, slugs: Sequence[str]) -> dict[str, Event]:
    query = (
        select(Event)
        .options(
            selectinload(Event.aliases),
            selectinload(Event.links).selectinload(EventLink.related_event),
        )
        .where(Event.slug.in_(slugs))
    )
    return {e.slug: e for e in session.scalars(query)}


def _stored_claims(session: Session, keys: Sequence[str]) -> dict[str, Claim]:
    query = (
        select(Claim)
        .options(
            selectinload(Claim.event),
            selectinload(Claim.claimant),
            selectinload(Claim.supersedes),
            selectinload(Claim.appearances).selectinload(Appearance.publisher),
            selectinload(Claim.appearances).selectinload(Appearance.via),
            selectinload(Claim.appearances).selectinload(Appearance.source_document),
            selectinload(Claim.assessments),
        )
        .where(Claim.key.in_(keys))
    )
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


def _event_records(session: Session, slugs: Sequence[str]) -> dict[str, EventRecord]:
    """The stored form of these events, read with plain column queries (building ORM
    objects to compare a large file cost several times more)."""
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
        aliases[event_id].append(AliasRecord(text=text, lang=lang, kind=kind))
    links: dict[int, list[RelatedEventRecord]] = defaultdict(list)
    related = aliased(Event)
    for event_id, slug, relation, note in session.execute(
        select(EventLink.event_id, related.slug, EventLink.relation, EventLink.note)
        .join(related, EventLink.related_event_id == related.id)
        .where(EventLink.event_id.in_(ids))
        .order_by(EventLink.id)
    ):
        links[event_id].append(RelatedEventRecord(event=slug, relation=relation, note=note))
    return {
        slug: EventRecord(
            slug=slug,
            **dict(zip(EVENT_COLUMNS, values, strict=True)),
            aliases=aliases[event_id],
            related=links[event_id],
        )
        for event_id, slug, *values in rows
    }


def _claim_records(session: Session, keys: Sequence[str]) -> dict[str, ClaimRecord]:
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
            AppearanceRecord(
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
            AssessmentRecord(
                evidence=list(evidence),
                documents=list(documents or []),
                **dict(zip(ASSESSMENT_COLUMNS, values, strict=True)),
            )
        )
    return {
        key: ClaimRecord(
            key=key,
            event=event,
            claimant=claimant_name,
            supersedes=supersedes,
            **dict(zip(CLAIM_COLUMNS, values, strict=True)),
            appearances=appearances[claim_id],
            assessments=assessments[claim_id],
        )
        for claim_id, key, event, claimant_name, supersedes, *values in rows
    }


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
            sources | set(_ids(session, Source.name, named_sources - sources)),
            documents | set(_ids(session, Document.key, named_documents - documents)),
            events | set(_ids(session, Event.slug, named_events - events)),
            claims | set(_ids(session, Claim.key, named_claims - claims)),
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

    def classify(kind: str, name: str, new: Any, old: Any, problems: list[str]) -> None:
        if problems:
            plan.records.append(PlannedRecord(kind, name, Change.REJECTED, "; ".join(problems)))
        elif old is None:
            plan.records.append(PlannedRecord(kind, name, Change.NEW))
        else:
            change = Change.UNCHANGED if new == old else Change.UPDATED
            plan.records.append(PlannedRecord(kind, name, change))
        if progress and (len(plan.records) % BATCH == 0 or len(plan.records) == total):
            progress(Phase.PLANNING, len(plan.records), total)

    twice = _duplicates(s.name for s in dataset.sources)
    for sources in _batches(dataset.sources):
        stored_sources = _stored_sources(session, [s.name for s in sources])
        for source in sources:
            problems = ["listed twice in the file"] if source.name in twice else []
            stored_source = stored_sources.get(source.name)
            old_source = source_record(stored_source) if stored_source else None
            classify("source", source.name, source, old_source, problems)

    twice = _duplicates(d.key for d in dataset.documents)
    for documents in _batches(dataset.documents):
        stored_documents = _stored_documents(session, [d.key for d in documents])
        for document in documents:
            problems = ["listed twice in the file"] if document.key in twice else []
            if document.publisher and document.publisher not in known.sources:
                problems.append(f"publisher {document.publisher!r} is not a known source")
            stored_document = stored_documents.get(document.key)
            old_document = document_record(stored_document) if stored_document else None
            classify("document", document.key, document, old_document, problems)

    twice = _duplicates(e.slug for e in dataset.events)
    for events in _batches(dataset.events):
        stored_events = _event_records(session, [e.slug for e in events])
        for event in events:
            problems = ["listed twice in the file"] if event.slug in twice else []
            problems += [
                f"related event {link.event!r} does not exist"
                for link in event.related
                if link.event not in known.events
            ]
            old_event = stored_events.get(event.slug)
            problems += _hiding_problems(by, event.hidden, old_event.hidden if old_event else None)
            problems += _date_problems(by, event, old_event)
            classify("event", event.slug, event, old_event, problems)

    twice = _duplicates(c.key for c in dataset.claims)
    for claims in _batches(dataset.claims):
        stored_claims = _claim_records(session, [c.key for c in claims])
        for claim in claims:
            old = stored_claims.get(claim.key)
            problems = ["listed twice in the file"] if claim.key in twice else []
            problems += _claim_problems(claim, old, known, by)
            classify("claim", claim.key, claim, old, problems)
    return plan


def _claim_problems(
    claim: ClaimRecord, old: ClaimRecord | None, known: _Known, by: ImportBy | None
) -> list[str]:
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
    if old and claim.assessments[: len(old.assessments)] != old.assessments:
        problems.append(
            "assessments are append-only: the file must keep the "
            f"{len(old.assessments)} already recorded and may only add new ones"
        )
    problems += _hiding_problems(by, claim.hidden, old.hidden if old else None)
    problems += _status_problems(by, claim, old)
    problems += _date_problems(by, claim, old)
    return problems


def apply_import(
    session: Session,
    plan: ImportPlan,
    actor: str,
    progress: Progress | None = None,
    by: ImportBy | None = None,
) -> None:
    """Write a plan without rejections; the caller's transaction makes it all-or-nothing.

    New rows are inserted in bulk, a batch at a time; changed rows are updated through
    the ORM (their version counters move), a batch per flush. With `by`, new assessments
    are recorded as set by that moderator, at that time.
    """
    if plan.rejected:
        raise ImportRejected(plan)
    writer = _ImportWriter(session, plan, actor, progress, by)
    writer.write_sources()
    writer.write_documents()
    writer.write_events()
    writer.write_claims()


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
        if rows:
            self.session.execute(insert(cast(Table, model.__table__)), rows)

    def _insert_keyed(self, key: InstrumentedAttribute[str], rows: list[Row]) -> list[int]:
        """Insert rows with a natural key; their new ids, in the rows' order."""
        self._insert(key.parent.class_, rows)
        ids = _ids(self.session, key, [row[key.key] for row in rows])
        return [ids[row[key.key]] for row in rows]

    def _audit(self, change: Change, entity: str, entity_id: int, before: Any, after: Any) -> None:
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
                "before": before.model_dump(mode="json") if before else None,
                "after": after.model_dump(mode="json"),
                "batch": self.batch,
            }
        )

    def _written(self, count: int) -> None:
        """Write a batch's audit entries and pending changes, and report it."""
        self._insert(AuditEntry, self.audit_rows)
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
        for batch in _batches(new):
            rows = [{"name": r.name, **_source_values(r)} for r in batch]
            self._inserted("source", batch, self._insert_keyed(Source.name, rows))
            self._written(len(batch))
        for batch in _batches(updated):
            stored = _stored_sources(self.session, [r.name for r in batch])
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
        sources = _ids(
            self.session, Source.name, (d.publisher for d in new + updated if d.publisher)
        )
        for batch in _batches(new):
            rows = [{"key": r.key, **_document_values(r, sources)} for r in batch]
            self._inserted("document", batch, self._insert_keyed(Document.key, rows))
            self._written(len(batch))
        for batch in _batches(updated):
            stored = _stored_documents(self.session, [r.key for r in batch])
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
        for batch in _batches(new):
            ids = self._insert_keyed(
                Event.slug, [{"slug": r.slug, **_event_values(r)} for r in batch]
            )
            aliases = [
                {"event_id": event_id, "text": a.text, "lang": a.lang, "kind": a.kind}
                for event_id, record in zip(ids, batch, strict=True)
                for a in record.aliases
            ]
            self._insert(EventAlias, aliases)
            self._inserted("event", batch, ids)
            new_ids += ids
            self._written(len(batch))
        related = _ids(
            self.session, Event.slug, (link.event for r in new + updated for link in r.related)
        )
        for batch in _batches(updated):
            stored = _stored_events(self.session, [r.slug for r in batch])
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
        for rows in _batches(links):
            self._insert(EventLink, list(rows))

    def write_claims(self) -> None:
        """New claims first; then which claim each supersedes, once all of them exist."""
        new, updated = self._split("claim", self.plan.dataset.claims)
        refs = _References.of(self.session, new + updated)
        superseding: list[tuple[int, str]] = []
        for batch in _batches(new):
            ids = self._insert_keyed(
                Claim.key, [{"key": r.key, **_claim_values(r, refs)} for r in batch]
            )
            appearances: list[dict[str, Any]] = []
            assessments: list[dict[str, Any]] = []
            for claim_id, record in zip(ids, batch, strict=True):
                appearances += [
                    {"claim_id": claim_id, **_appearance_values(a, refs)}
                    for a in record.appearances
                ]
                assessments += [
                    {"claim_id": claim_id, **_assessment_values(a, self.by)}
                    for a in record.assessments
                ]
                if record.supersedes:
                    superseding.append((claim_id, record.supersedes))
            self._insert(Appearance, appearances)
            self._insert(Assessment, assessments)
            self._inserted("claim", batch, ids)
            self._written(len(batch))
        claims = _ids(
            self.session, Claim.key, (r.supersedes for r in new + updated if r.supersedes)
        )
        for batch in _batches(updated):
            stored = _stored_claims(self.session, [r.key for r in batch])
            for record in batch:
                claim = stored[record.key]
                before = claim_record(claim)
                _fill_claim(claim, record, refs, self.by)
                claim.supersedes_id = claims[record.supersedes] if record.supersedes else None
                self._audit(Change.UPDATED, "claim", claim.id, before, record)
            self._written(len(batch))
        # Rows inserted just now: no version to move, nothing loaded to keep in step.
        table = cast(Table, Claim.__table__)
        set_supersedes = (
            update(table)
            .where(table.c.id == bindparam("claim_id"))
            .values(supersedes_id=bindparam("supersedes_id"))
        )
        for pairs in _batches(superseding):
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
            _ids(session, Source.name, sources),
            _ids(session, Document.key, documents),
            _ids(session, Event.slug, {c.event for c in claims}),
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
    # Assessments are append-only: only the ones the database does not have yet are added.
    for assessment in record.assessments[len(claim.assessments) :]:
        claim.assessments.append(Assessment(**_assessment_values(assessment, by)))
