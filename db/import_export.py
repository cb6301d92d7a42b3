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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

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
    Claim,
    Document,
    Event,
    EventAlias,
    EventLink,
    Source,
)
from db.vocabulary import (
    FIRST_YEAR,
    LAST_YEAR,
    STATUSES_NEEDING_EVIDENCE,
    STATUSES_NEEDING_REASON,
    PlacePrecision,
    VerificationStatus,
)

Progress = Callable[[int, int], None]


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
        return sum(1 for r in self.records if r.kind == kind and r.change == change)

    @property
    def rejected(self) -> list[PlannedRecord]:
        return [r for r in self.records if r.change == Change.REJECTED]

    @property
    def has_changes(self) -> bool:
        return any(r.change in (Change.NEW, Change.UPDATED) for r in self.records)

    def summary(self) -> str:
        lines = []
        for kind in ("source", "document", "event", "claim"):
            counts = ", ".join(
                f"{self.count(kind, change)} {change.value}"
                for change in Change
                if self.count(kind, change)
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


def _duplicates(names: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    twice: set[str] = set()
    for name in names:
        (twice if name in seen else seen).add(name)
    return twice


def plan_import(session: Session, dataset: DataSet, by: ImportBy | None = None) -> ImportPlan:
    """Sort every record of the file into new/updated/unchanged/rejected; writes nothing."""
    current = export_dataset(session)
    sources_now = {s.name: s for s in current.sources}
    documents_now = {d.key: d for d in current.documents}
    events_now = {e.slug: e for e in current.events}
    claims_now = {c.key: c for c in current.claims}
    source_names = set(sources_now) | {s.name for s in dataset.sources}
    document_keys = set(documents_now) | {d.key for d in dataset.documents}
    event_slugs = set(events_now) | {e.slug for e in dataset.events}
    claim_keys = set(claims_now) | {c.key for c in dataset.claims}
    plan = ImportPlan(dataset)

    def classify(kind: str, name: str, new: Any, old: Any, problems: list[str]) -> None:
        if problems:
            plan.records.append(PlannedRecord(kind, name, Change.REJECTED, "; ".join(problems)))
        elif old is None:
            plan.records.append(PlannedRecord(kind, name, Change.NEW))
        else:
            change = Change.UNCHANGED if new == old else Change.UPDATED
            plan.records.append(PlannedRecord(kind, name, change))

    twice = _duplicates(s.name for s in dataset.sources)
    for source in dataset.sources:
        problems = ["listed twice in the file"] if source.name in twice else []
        classify("source", source.name, source, sources_now.get(source.name), problems)

    twice = _duplicates(d.key for d in dataset.documents)
    for document in dataset.documents:
        problems = ["listed twice in the file"] if document.key in twice else []
        if document.publisher and document.publisher not in source_names:
            problems.append(f"publisher {document.publisher!r} is not a known source")
        classify("document", document.key, document, documents_now.get(document.key), problems)

    twice = _duplicates(e.slug for e in dataset.events)
    for event in dataset.events:
        problems = ["listed twice in the file"] if event.slug in twice else []
        problems += [
            f"related event {link.event!r} does not exist"
            for link in event.related
            if link.event not in event_slugs
        ]
        old_event = events_now.get(event.slug)
        problems += _hiding_problems(by, event.hidden, old_event.hidden if old_event else None)
        problems += _date_problems(by, event, old_event)
        classify("event", event.slug, event, old_event, problems)

    twice = _duplicates(c.key for c in dataset.claims)
    for claim in dataset.claims:
        problems = ["listed twice in the file"] if claim.key in twice else []
        if claim.event not in event_slugs:
            problems.append(f"event {claim.event!r} does not exist")
        if claim.claimant not in source_names:
            problems.append(f"claimant {claim.claimant!r} is not a known source")
        if claim.supersedes and claim.supersedes not in claim_keys:
            problems.append(f"supersedes unknown claim {claim.supersedes!r}")
        for number, appearance in enumerate(claim.appearances, start=1):
            for role in ("publisher", "via"):
                name = getattr(appearance, role)
                if name and name not in source_names:
                    problems.append(f"appearance {number}: {role} {name!r} is not a known source")
            if appearance.article and appearance.article not in document_keys:
                problems.append(
                    f"appearance {number}: article {appearance.article!r} is not a listed document"
                )
        for number, assessment in enumerate(claim.assessments, start=1):
            if assessment.given_by and assessment.given_by not in source_names:
                problems.append(
                    f"assessment {number}: given_by {assessment.given_by!r} is not a known source"
                )
            problems += [
                f"assessment {number}: document {key!r} is not a listed document"
                for key in assessment.documents
                if key not in document_keys
            ]
        old = claims_now.get(claim.key)
        if old and claim.assessments[: len(old.assessments)] != old.assessments:
            problems.append(
                "assessments are append-only: the file must keep the "
                f"{len(old.assessments)} already recorded and may only add new ones"
            )
        problems += _hiding_problems(by, claim.hidden, old.hidden if old else None)
        problems += _status_problems(by, claim, old)
        problems += _date_problems(by, claim, old)
        classify("claim", claim.key, claim, old, problems)

    return plan


def apply_import(
    session: Session,
    plan: ImportPlan,
    actor: str,
    progress: Progress | None = None,
    by: ImportBy | None = None,
) -> None:
    """Write a plan without rejections; the caller's transaction makes it all-or-nothing.

    With `by`, new assessments are recorded as set by that moderator, at that time.
    """
    if plan.rejected:
        raise ImportRejected(plan)
    writer = _ImportWriter(session, plan, actor, progress, by)
    sources = writer.write_sources()
    documents = writer.write_documents(sources)
    events = writer.write_events()
    writer.write_claims(events, sources, documents)


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
        dataset = plan.dataset
        self.total = (
            len(dataset.sources)
            + len(dataset.documents)
            + len(dataset.events)
            + len(dataset.claims)
        )
        self.done = 0

    def _step(self) -> None:
        self.done += 1
        if self.progress and (self.done % 200 == 0 or self.done == self.total):
            self.progress(self.done, self.total)

    def _audit(self, change: Change, entity: str, entity_id: int, before: Any, after: Any) -> None:
        record_change(
            self.session, self.actor, change.value, entity, entity_id, before, after, self.batch
        )

    def write_sources(self) -> dict[str, Source]:
        sources = {s.name: s for s in self.session.scalars(select(Source))}
        for record in self.plan.dataset.sources:
            change = self.changes[("source", record.name)]
            if change != Change.UNCHANGED:
                existing = sources.get(record.name)
                before = source_record(existing) if existing else None
                source = existing or Source(name=record.name)
                source.kind, source.side = record.kind, record.side
                source.country, source.description = record.country, record.description
                source.short_name = record.short_name
                self.session.add(source)
                self.session.flush()
                sources[record.name] = source
                self._audit(change, "source", source.id, before, record)
            self._step()
        return sources

    def write_documents(self, sources: dict[str, Source]) -> dict[str, Document]:
        documents = {d.key: d for d in self.session.scalars(select(Document))}
        for record in self.plan.dataset.documents:
            change = self.changes[("document", record.key)]
            if change != Change.UNCHANGED:
                existing = documents.get(record.key)
                before = document_record(existing) if existing else None
                document = existing or Document(key=record.key)
                document.publisher = sources[record.publisher] if record.publisher else None
                document.headline, document.opening_words = record.headline, record.opening_words
                document.published_on, document.url = record.published_on, record.url
                document.archive = record.archive
                self.session.add(document)
                self.session.flush()
                documents[record.key] = document
                self._audit(change, "document", document.id, before, record)
            self._step()
        return documents

    def write_events(self) -> dict[str, Event]:
        events = {e.slug: e for e in self.session.scalars(select(Event))}
        written: list[tuple[Event, EventRecord]] = []
        for record in self.plan.dataset.events:
            change = self.changes[("event", record.slug)]
            if change != Change.UNCHANGED:
                existing = events.get(record.slug)
                before = event_record(existing) if existing else None
                event = existing or Event(slug=record.slug)
                _fill_event(event, record)
                self.session.add(event)
                self.session.flush()
                events[record.slug] = event
                written.append((event, record))
                self._audit(change, "event", event.id, before, record)
            self._step()
        # Links can point at events later in the file, so they are set once all events exist.
        for event, record in written:
            event.links = [
                _updated_link(event, link, events[link.event]) for link in record.related
            ]
        self.session.flush()
        return events

    def write_claims(
        self,
        events: dict[str, Event],
        sources: dict[str, Source],
        documents: dict[str, Document],
    ) -> None:
        claims = {c.key: c for c in self.session.scalars(select(Claim))}
        written: list[tuple[Claim, str | None]] = []
        for record in self.plan.dataset.claims:
            change = self.changes[("claim", record.key)]
            if change != Change.UNCHANGED:
                existing = claims.get(record.key)
                before = claim_record(existing) if existing else None
                claim = existing or Claim(key=record.key)
                _fill_claim(claim, record, events, sources, documents, self.by)
                self.session.add(claim)
                self.session.flush()
                claims[record.key] = claim
                written.append((claim, record.supersedes))
                self._audit(change, "claim", claim.id, before, record)
            self._step()
        # A claim may supersede one that comes later in the file.
        for claim, supersedes in written:
            claim.supersedes = claims[supersedes] if supersedes else None
        self.session.flush()


def _fill_event(event: Event, record: EventRecord) -> None:
    event.title, event.summary, event.place = record.title, record.summary, record.place
    event.region, event.country = record.region, record.country
    event.start_date, event.end_date = record.start_date, record.end_date
    event.date_precision, event.date_note = record.date_precision, record.date_note
    event.place_precision = record.place_precision
    event.hidden = record.hidden
    kept = {a.text: a for a in event.aliases}
    event.aliases = [
        _updated_alias(kept.get(a.text) or EventAlias(text=a.text), a) for a in record.aliases
    ]


def _updated_link(event: Event, record: RelatedEventRecord, related: Event) -> EventLink:
    """The event's existing link to `related`, else a new one.

    Replacing an unchanged link with a new row would insert it before the old one is
    deleted, against the unique (event, related event, relation) constraint.
    """
    for link in event.links:
        if link.related_event is related and link.relation == record.relation:
            link.note = record.note
            return link
    return EventLink(related_event=related, relation=record.relation, note=record.note)


def _updated_alias(alias: EventAlias, record: AliasRecord) -> EventAlias:
    alias.lang, alias.kind = record.lang, record.kind
    return alias


def _fill_claim(
    claim: Claim,
    record: ClaimRecord,
    events: dict[str, Event],
    sources: dict[str, Source],
    documents: dict[str, Document],
    by: ImportBy | None,
) -> None:
    claim.event = events[record.event]
    claim.claimant = sources[record.claimant]
    claim.metric, claim.subject = record.metric, record.subject
    claim.qualifier, claim.low, claim.high = record.qualifier, record.low, record.high
    claim.wording, claim.summary, claim.quote = record.wording, record.summary, record.quote
    claim.stated_on, claim.basis = record.stated_on, record.basis
    claim.lifecycle, claim.status, claim.hidden = record.lifecycle, record.status, record.hidden
    claim.appearances = [
        Appearance(
            source_document=documents[a.article] if a.article else None,
            publisher=sources[a.publisher] if a.publisher else None,
            via=sources[a.via] if a.via else None,
            document=a.document,
            url=a.url,
            title=a.title,
            published_on=a.published_on,
            wording=a.wording,
            figure_wording=a.figure_wording,
        )
        for a in record.appearances
    ]
    # Assessments are append-only: only the ones the database does not have yet are added.
    for assessment in record.assessments[len(claim.assessments) :]:
        claim.assessments.append(
            Assessment(
                status=assessment.status,
                rationale=assessment.rationale,
                reason=assessment.reason,
                given_by=assessment.given_by,
                evidence=list(assessment.evidence),
                documents=list(assessment.documents),
                set_by=by.actor if by else assessment.set_by,
                set_at=by.at if by else assessment.set_at.astimezone(dt.UTC),
            )
        )
