"""One moderator command's changes: lookups, checks, writes and their audit entries.

`Work` is one command inside one transaction. Each command function checks what it
was given against the database, changes rows, and records every changed row in the
audit log with the actor, its record before and after and the command's batch id.
`revert` undoes one audit entry, the building block of `/undo`.
"""

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from anyascii import anyascii
from pydantic import BaseModel, ValidationError
from rapidfuzz import fuzz, process, utils
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.moderation.arguments import Figure, parse_figure
from bot.moderation.commands import CommandSpec
from bot.moderation.errors import ModerationError
from db.audit import record_change
from db.dataset_schema import ClaimRecord, EventRecord, SourceRecord
from db.import_export import claim_record, event_record, source_record
from db.models import (
    Appearance,
    Assessment,
    AuditEntry,
    Claim,
    Event,
    EventAlias,
    EventLink,
    Source,
    utcnow,
)
from db.vocabulary import (
    STATUSES_NEEDING_REASON,
    AliasKind,
    Basis,
    DatePrecision,
    Lifecycle,
    Qualifier,
    Side,
    SourceKind,
    VerificationStatus,
)

Row = Event | Claim | Source

# Entities `undo` can revert; grants are undone with /revoke.
DATA_ENTITIES = ("event", "claim", "source")
UNDO_PREFIX = "undo:"


@dataclass(frozen=True)
class RowChange:
    entity: str
    entity_id: int | None
    name: str  # the natural key: slug, claim key or source name
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


# ---------------------------------------------------------------- helpers


def nearest(text: str, choices: Iterable[str], limit: int = 3, cutoff: float = 60) -> list[str]:
    found = process.extract(
        text,
        list(dict.fromkeys(choices)),
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=cutoff,
    )
    return [choice for choice, _score, _index in found]


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", anyascii(text).lower()).strip("-")


def _summary_of(quote: str) -> str:
    return quote if len(quote) <= 500 else quote[:499].rstrip() + "…"


def dump(record: BaseModel | None) -> dict[str, Any] | None:
    return record.model_dump(mode="json") if record is not None else None


def _invalid(error: ValidationError) -> ModerationError:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return ModerationError(f"{where}: {message}." if where else f"{message}.")


def _name_of(row: Row) -> str:
    if isinstance(row, Event):
        return row.slug
    if isinstance(row, Claim):
        return row.key
    return row.name


def entity_of(row: Row) -> str:
    return {Event: "event", Claim: "claim", Source: "source"}[type(row)]


def label(row: Row) -> str:
    if isinstance(row, Claim):
        return f"claim #{row.id}"
    if isinstance(row, Event):
        return f"event {row.slug}"
    return f"source {row.name!r}"


# ---------------------------------------------------------------- lookups and one command's work


class Lookup:
    """Finding events, claims and sources by what moderators type, with the nearest matches."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def fail(
        self, problem: str, key: str | None = None, suggestions: Sequence[str] = ()
    ) -> NoReturn:
        raise ModerationError(problem, key=key, suggestions=suggestions)

    # -------------------------------------------------------- lookups

    def find_event(self, slug: str) -> Event | None:
        return self.session.scalar(select(Event).where(Event.slug == slug.strip().lower()))

    def event(self, ref: str, key: str = "event") -> Event:
        found = self.find_event(ref)
        if found is None:
            rows = self.session.execute(select(Event.slug, Event.title)).all()
            by_label = {slug: slug for slug, _ in rows} | {title: slug for slug, title in rows}
            near = list(dict.fromkeys(by_label[n] for n in nearest(ref, by_label, limit=6)))[:3]
            self.fail(f"there is no event {ref.strip()[:60]!r}.", key, near)
        return found

    def find_claim(self, ref: str) -> Claim | None:
        text = ref.strip()
        number = text.lstrip("#")
        if number.isdigit() and int(number) < 2**31:
            return self.session.get(Claim, int(number))
        return self.session.scalar(select(Claim).where(Claim.key == text))

    def claim(self, ref: str, key: str = "claim") -> Claim:
        found = self.find_claim(ref)
        if found is None:
            text = ref.strip()
            number = text.lstrip("#")
            if number.isdigit():
                ids = self.session.scalars(
                    select(Claim.id).order_by(func.abs(Claim.id - int(number[:12]))).limit(3)
                )
                near = [f"#{claim_id}" for claim_id in ids]
            else:
                near = nearest(text, self.session.scalars(select(Claim.key)))
            self.fail(f"there is no claim {text[:60]!r}.", key, near)
        return found

    def target(self, ref: str, key: str = "target") -> Event | Claim:
        text = ref.strip()
        if not text.lstrip("#").isdigit():
            event = self.find_event(text)
            if event is not None:
                return event
            claim = self.session.scalar(select(Claim).where(Claim.key == text))
            if claim is not None:
                return claim
            self.event(text, key)  # fails, naming the events nearest to the text
        return self.claim(text, key)

    def find_source(self, name: str) -> Source | None:
        wanted = name.strip()
        found = self.session.scalar(select(Source).where(Source.name == wanted))
        if found is not None:
            return found
        # Case and typographic variants of a name are the same source, not a new one.
        folded = wanted.casefold()
        return next(
            (s for s in self.session.scalars(select(Source)) if s.name.casefold() == folded), None
        )

    def source(self, name: str, key: str = "source") -> Source:
        found = self.find_source(name)
        if found is None:
            near = nearest(name, self.session.scalars(select(Source.name)))
            raise ModerationError(
                f"there is no source {name.strip()[:80]!r}; add it first with /addsource.",
                key=key,
                suggestions=near,
                example='/addsource name="Testville city council" kind=official side=ukraine',
            )
        return found


class Work(Lookup):
    """One command in one transaction: lookups, checks, writes and their audit entries."""

    def __init__(self, session: Session, actor: str, spec: CommandSpec, batch: str) -> None:
        super().__init__(session)
        self.actor, self.spec, self.batch = actor, spec, batch
        self.changes: list[RowChange] = []
        self.touched: set[str] = set()  # event slugs whose match-index entry may change
        self.notes: list[str] = []
        self.pins: dict[str, str] = {}

    def publisher(self, name: str, key: str) -> Source:
        """An outlet that reported a claim: known, or added now as a news outlet."""
        found = self.find_source(name)
        if found is not None:
            return found
        # A near-identical name is far more likely a typo than a new outlet.
        near = nearest(name, self.session.scalars(select(Source.name)), cutoff=88)
        if near:
            self.fail(f"there is no source {name!r}.", key, near)
        source = Source(name=name, kind=SourceKind.NEWS_OUTLET, side=Side.UNKNOWN)
        self.save("addsource", source, None)
        self.notes.append(
            f"Added {name!r} as a new source (news outlet, side unknown); "
            "correct it with /editsource if needed."
        )
        return source

    # -------------------------------------------------------- checks and writes

    def check_version(self, row: Row, values: Mapping[str, Any]) -> None:
        """Refuse a change made against an older version; pin the version a preview saw."""
        expected = values.get("version")
        if expected is not None and expected != row.version:
            self.fail(
                f"{label(row)} has changed since version {expected} (it is now version "
                f"{row.version}), so nothing was written. Look at it again "
                f"(/history {history_ref(row)}) and repeat your change.",
                "version",
            )
        if "version" in self.spec.by_key and not self.pins:
            self.pins["version"] = str(row.version)

    def snapshot(self, row: Row) -> BaseModel:
        try:
            if isinstance(row, Event):
                return event_record(row)
            if isinstance(row, Claim):
                return claim_record(row)
            return source_record(row)
        except ValidationError as error:
            raise _invalid(error) from None

    def save(
        self, action: str, row: Row, before: BaseModel | None, *, optional: bool = False
    ) -> None:
        """Write the row and audit it; a change that changes nothing is refused (or skipped)."""
        after = self.snapshot(row)
        if before is not None and after == before:
            if optional:
                return
            self.fail(f"this changes nothing: {label(row)} already has these values.")
        if before is not None:
            # Touching the row bumps its version even when only its aliases, links or
            # appearances changed, so a stale edit of those is refused too.
            row.updated_at = utcnow()
        self.session.add(row)
        self.session.flush()
        entity = entity_of(row)
        record_change(self.session, self.actor, action, entity, row.id, before, after, self.batch)
        self.changes.append(
            RowChange(entity, row.id, _name_of(row), action, dump(before), dump(after))
        )


def history_ref(row: Row) -> str:
    if isinstance(row, Claim):
        return f"#{row.id}"
    return _name_of(row)


def _figure(raw: str | None, qualifier: Qualifier | None) -> Figure | None:
    if raw is None:
        if qualifier is not None:
            raise ModerationError("qualifier needs a figure=.", key="figure")
        return None
    return parse_figure(raw, qualifier)


def _set_figure(claim: Claim, figure: Figure | None) -> None:
    if figure is None:
        claim.qualifier = claim.low = claim.high = claim.wording = None
    else:
        claim.qualifier, claim.low, claim.high = figure.qualifier, figure.low, figure.high
        claim.wording = figure.wording


# ---------------------------------------------------------------- the commands


def _addevent(w: Work, v: dict[str, Any]) -> str:
    slug = v["slug"]
    existing = w.find_event(slug)
    if existing is not None:
        w.fail(f"there is already an event {slug} ({existing.title!r}).", "slug")
    event = Event(
        slug=slug,
        title=v["title"],
        summary=v["summary"],
        place=v["place"],
        region=v.get("region"),
        country=v.get("country"),
        start_date=v.get("date"),
        end_date=v.get("end"),
        date_precision=v.get("precision") or DatePrecision.DAY,
        date_note=v.get("date_note"),
        hidden=False,
    )
    w.save("addevent", event, None)
    w.touched.add(slug)
    return f"Added event {slug}."


EVENT_COLUMNS = {
    "title": "title",
    "place": "place",
    "summary": "summary",
    "region": "region",
    "country": "country",
    "date_note": "date_note",
    "date": "start_date",
    "end": "end_date",
    "precision": "date_precision",
}


def _changes(w: Work, v: dict[str, Any], target: str, required: Collection[str]) -> dict[str, Any]:
    changes = {k: value for k, value in v.items() if k not in (target, "version")}
    if not changes:
        editable = ", ".join(k for k in w.spec.by_key if k not in (target, "version"))
        w.fail(f"nothing to change: give at least one of {editable}.")
    for key in required:
        if key in changes and changes[key] is None:
            w.fail(f"{key} cannot be empty.", key)
    return changes


def _editevent(w: Work, v: dict[str, Any]) -> str:
    event = w.event(v["event"])
    w.check_version(event, v)
    before = w.snapshot(event)
    changes = _changes(w, v, "event", ("title", "place", "summary", "slug"))
    w.touched.add(event.slug)
    new_slug = changes.get("slug")
    if new_slug is not None and new_slug != event.slug:
        if w.find_event(new_slug) is not None:
            w.fail(f"there is already an event {new_slug}.", "slug")
        event.slug = new_slug
    for key, column in EVENT_COLUMNS.items():
        if key in changes:
            value = changes[key]
            setattr(event, column, DatePrecision.DAY if key == "precision" and not value else value)
    w.save("editevent", event, before)
    w.touched.add(event.slug)
    return f"Updated event {event.slug} (now version {event.version})."


def _alias(w: Work, v: dict[str, Any]) -> str:
    event = w.event(v["event"])
    w.check_version(event, v)
    before = w.snapshot(event)
    text = v["text"]
    if any(a.text.casefold() == text.casefold() for a in event.aliases):
        w.fail(f"{event.slug} already has the name {text!r}.", "text")
    kind = v.get("kind") or AliasKind.NAME
    event.aliases.append(EventAlias(text=text, lang=v.get("lang"), kind=kind))
    w.save("alias", event, before)
    w.touched.add(event.slug)
    return f"Added the name {text!r} to {event.slug}."


def _unalias(w: Work, v: dict[str, Any]) -> str:
    event = w.event(v["event"])
    w.check_version(event, v)
    before = w.snapshot(event)
    text = v["text"]
    alias = next((a for a in event.aliases if a.text.casefold() == text.casefold()), None)
    if alias is None:
        near = nearest(text, [a.text for a in event.aliases])
        w.fail(f"{event.slug} has no name {text!r}.", "text", near)
    event.aliases.remove(alias)
    w.save("unalias", event, before)
    w.touched.add(event.slug)
    return f"Removed the name {text!r} from {event.slug}."


def _link(w: Work, v: dict[str, Any]) -> str:
    event = w.event(v["event"])
    w.check_version(event, v)
    before = w.snapshot(event)
    other = w.event(v["other"], "other")
    if other.id == event.id:
        w.fail("an event cannot be linked to itself.", "other")
    relation = v["relation"]
    if any(link.related_event_id == other.id and link.relation == relation for link in event.links):
        w.fail(f"{event.slug} is already linked to {other.slug} as {relation.value}.", "other")
    event.links.append(EventLink(related_event=other, relation=relation, note=v.get("note")))
    w.save("link", event, before)
    return f"Linked {event.slug} to {other.slug} ({relation.value})."


def _unlink(w: Work, v: dict[str, Any]) -> str:
    event = w.event(v["event"])
    w.check_version(event, v)
    before = w.snapshot(event)
    other = w.event(v["other"], "other")
    links = [link for link in event.links if link.related_event_id == other.id]
    if not links:
        linked = [link.related_event.slug for link in event.links]
        w.fail(f"{event.slug} is not linked to {other.slug}.", "other", linked[:3])
    for link in links:
        event.links.remove(link)
    w.save("unlink", event, before)
    return f"Unlinked {event.slug} from {other.slug}."


def _addsource(w: Work, v: dict[str, Any]) -> str:
    name = v["name"]
    existing = w.find_source(name)
    if existing is not None:
        w.fail(f"there is already a source {existing.name!r}.", "name")
    source = Source(
        name=name,
        kind=v["kind"],
        side=v["side"],
        country=v.get("country"),
        description=v.get("description"),
    )
    w.save("addsource", source, None)
    return f"Added source {name!r}."


def _editsource(w: Work, v: dict[str, Any]) -> str:
    source = w.source(v["source"])
    w.check_version(source, v)
    before = w.snapshot(source)
    changes = _changes(w, v, "source", ("name", "kind", "side"))
    name = changes.get("name")
    if name is not None:
        other = w.find_source(name)
        if other is not None and other.id != source.id:
            w.fail(f"there is already a source {other.name!r}.", "name")
        source.name = name
        # Claimant names are part of what questions are matched against.
        w.touched.update(
            w.session.scalars(
                select(Event.slug).join(Claim).where(Claim.claimant_id == source.id).distinct()
            )
        )
    for key in ("kind", "side", "country", "description"):
        if key in changes:
            setattr(source, key, changes[key])
    w.save("editsource", source, before)
    return f"Updated source {source.name!r} (now version {source.version})."


def _claim_key(w: Work, event: Event, claimant: Source, metric: str) -> str:
    base = slugify(f"{event.slug} {claimant.name} {metric}")[:72].strip("-")
    taken = set(w.session.scalars(select(Claim.key).where(Claim.key.startswith(base))))
    key, number = base, 2
    while key in taken:
        key, number = f"{base}-{number}", number + 1
    return key


def _addclaim(w: Work, v: dict[str, Any]) -> str:
    event = w.event(v["event"])
    claimant = w.source(v["claimant"], "claimant")
    figure = _figure(v.get("figure"), v.get("qualifier"))
    key = v.get("key") or _claim_key(w, event, claimant, v["metric"].value)
    if w.find_claim(key) is not None:
        w.fail(f"there is already a claim with the key {key}.", "key")
    appearance = None
    if v.get("publisher") or v.get("url"):
        publisher = w.publisher(v["publisher"], "publisher") if v.get("publisher") else None
        appearance = Appearance(publisher=publisher, url=v.get("url"))
    claim = Claim(
        key=key,
        event=event,
        claimant=claimant,
        metric=v["metric"],
        subject=v.get("subject"),
        summary=v.get("summary") or _summary_of(v["quote"]),
        quote=v["quote"],
        stated_on=v.get("date"),
        basis=v.get("basis") or Basis.UNKNOWN,
        lifecycle=Lifecycle.CURRENT,
        status=VerificationStatus.UNVERIFIED,
        hidden=False,
        appearances=[appearance] if appearance else [],
    )
    _set_figure(claim, figure)
    w.save("addclaim", claim, None)
    w.touched.add(event.slug)
    return f"Added claim #{claim.id} to {event.slug}."


CLAIM_COLUMNS = {"subject": "subject", "quote": "quote", "summary": "summary", "date": "stated_on"}


def _editclaim(w: Work, v: dict[str, Any]) -> str:
    claim = w.claim(v["claim"])
    w.check_version(claim, v)
    before = w.snapshot(claim)
    changes = _changes(w, v, "claim", ("event", "claimant", "metric", "quote", "summary"))
    w.touched.add(claim.event.slug)
    if "event" in changes:
        claim.event = w.event(changes["event"])
        w.touched.add(claim.event.slug)
    if "claimant" in changes:
        claim.claimant = w.source(changes["claimant"], "claimant")
    if "metric" in changes:
        claim.metric = changes["metric"]
    if "basis" in changes:
        claim.basis = changes["basis"] or Basis.UNKNOWN
    if "figure" in changes or "qualifier" in changes:
        raw = changes.get("figure", claim.wording)
        if raw is None and "figure" not in changes:
            w.fail(f"claim #{claim.id} has no figure to qualify; give figure= too.", "figure")
        _set_figure(claim, _figure(raw, changes.get("qualifier")))
    for key, column in CLAIM_COLUMNS.items():
        if key in changes:
            setattr(claim, column, changes[key])
    w.save("editclaim", claim, before)
    return f"Updated claim #{claim.id} (now version {claim.version})."


def _report(w: Work, v: dict[str, Any]) -> str:
    claim = w.claim(v["claim"])
    w.check_version(claim, v)
    before = w.snapshot(claim)
    if not (v.get("publisher") or v.get("url") or v.get("document")):
        w.fail("say where the claim was reported: give publisher=, url= or document=.")
    publisher = w.publisher(v["publisher"], "publisher") if v.get("publisher") else None
    via = w.publisher(v["via"], "via") if v.get("via") else None
    for seen in claim.appearances:
        if (seen.publisher, seen.url, seen.document) == (
            publisher,
            v.get("url"),
            v.get("document"),
        ):
            w.fail(f"claim #{claim.id} already has this report.")
    claim.appearances.append(
        Appearance(
            publisher=publisher,
            via=via,
            document=v.get("document"),
            url=v.get("url"),
            title=v.get("title"),
            published_on=v.get("date"),
            wording=v.get("wording"),
        )
    )
    w.save("report", claim, before)
    return f"Recorded where claim #{claim.id} was reported."


def _supersede(w: Work, v: dict[str, Any]) -> str:
    old, new = w.claim(v["old"], "old"), w.claim(v["new"], "new")
    if old.id == new.id:
        w.fail("a claim cannot replace itself.", "new")
    if old.event_id != new.event_id:
        w.fail(
            f"#{old.id} is about {old.event.slug} but #{new.id} is about {new.event.slug}; "
            "only claims about one event can replace each other.",
            "new",
        )
    if new.supersedes_id not in (None, old.id):
        w.fail(f"#{new.id} already replaces #{new.supersedes_id}.", "new")
    if old.supersedes_id == new.id:
        w.fail(f"#{old.id} already replaces #{new.id}; the other way round is a loop.", "new")
    before_old, before_new = w.snapshot(old), w.snapshot(new)
    old.lifecycle = Lifecycle.SUPERSEDED
    new.supersedes = old
    # Either claim may already be as asked; together they must change something.
    w.save("supersede", old, before_old, optional=True)
    w.save("supersede", new, before_new, optional=bool(w.changes))
    return f"Claim #{old.id} is now superseded by #{new.id}."


def _retract(w: Work, v: dict[str, Any]) -> str:
    claim = w.claim(v["claim"])
    w.check_version(claim, v)
    if claim.lifecycle == Lifecycle.RETRACTED:
        w.fail(f"claim #{claim.id} is already retracted.")
    before = w.snapshot(claim)
    claim.lifecycle = Lifecycle.RETRACTED
    w.save("retract", claim, before)
    return f"Claim #{claim.id} is now marked retracted."


def _status(w: Work, v: dict[str, Any]) -> str:
    claim = w.claim(v["claim"])
    w.check_version(claim, v)
    status = v["status"]
    reason = v.get("reason")
    if status in STATUSES_NEEDING_REASON and not reason:
        w.fail(f'{status.value} needs a reason: say why, e.g. reason="...".', "reason")
    before = w.snapshot(claim)
    claim.assessments.append(
        Assessment(
            status=status,
            rationale=reason,
            evidence=list(v.get("evidence") or ()),
            set_by=w.actor,
            set_at=utcnow(),
        )
    )
    claim.status = status
    w.save("status", claim, before)
    return f"Claim #{claim.id} is now {status.value}."


def _set_hidden(w: Work, v: dict[str, Any], hidden: bool) -> Event | Claim:
    row = w.target(v["target"])
    w.check_version(row, v)
    if row.hidden == hidden:
        w.fail(f"{label(row)} is already {'hidden' if hidden else 'shown'}.")
    before = w.snapshot(row)
    row.hidden = hidden
    w.save("delete" if hidden else "restore", row, before)
    w.touched.add(row.slug if isinstance(row, Event) else row.event.slug)
    return row


def _delete(w: Work, v: dict[str, Any]) -> str:
    row = _set_hidden(w, v, hidden=True)
    return f"Hid {label(row)} from users; an admin can bring it back with /restore."


def _restore(w: Work, v: dict[str, Any]) -> str:
    return f"Users can see {label(_set_hidden(w, v, hidden=False))} again."


COMMAND_FUNCTIONS: dict[str, Callable[[Work, dict[str, Any]], str]] = {
    "addevent": _addevent,
    "editevent": _editevent,
    "alias": _alias,
    "unalias": _unalias,
    "link": _link,
    "unlink": _unlink,
    "addsource": _addsource,
    "editsource": _editsource,
    "addclaim": _addclaim,
    "editclaim": _editclaim,
    "report": _report,
    "supersede": _supersede,
    "retract": _retract,
    "status": _status,
    "delete": _delete,
    "restore": _restore,
}


# ---------------------------------------------------------------- undo


def _restore_source(source: Source, record: SourceRecord) -> None:
    source.name, source.kind, source.side = record.name, record.kind, record.side
    source.country, source.description = record.country, record.description


def _restore_event(w: Work, event: Event, record: EventRecord) -> None:
    event.slug, event.title, event.summary = record.slug, record.title, record.summary
    event.place, event.region, event.country = record.place, record.region, record.country
    event.start_date, event.end_date = record.start_date, record.end_date
    event.date_precision, event.date_note = record.date_precision, record.date_note
    event.hidden = record.hidden
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


def _restore_claim(w: Work, claim: Claim, record: ClaimRecord) -> None:
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
            publisher=w.source(a.publisher, "publisher") if a.publisher else None,
            via=w.source(a.via, "via") if a.via else None,
            document=a.document,
            url=a.url,
            title=a.title,
            published_on=a.published_on,
            wording=a.wording,
        )
        for a in record.appearances
    ]
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


def get_row(session: Session, entity: str, entity_id: int | None) -> Row | None:
    if entity == "event":
        return session.get(Event, entity_id)
    if entity == "claim":
        return session.get(Claim, entity_id)
    return session.get(Source, entity_id)


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
