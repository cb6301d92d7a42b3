"""Which events a data change touched, read from its audit entries.

Every data change writes audit entries (`db.audit`) in its own transaction, each with the
record before and after. From those, a process tells which events' match-index entries and
cards a change made stale, without rereading the rest: in this process the moment the change
commits, in others when they see the entries in the log (`bot/freshness.py`).
"""

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, func, select

from db.engine import Reads
from db.tables import AUDIT_LOG, CLAIMS, EVENTS, LINKS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

# Ids in one IN (...) list: well under SQLite's and PostgreSQL's limits on parameters.
CHUNK = 500


@dataclass(frozen=True, slots=True)
class Entry:
    """An audit entry as far as freshness needs it."""

    id: int
    entity: str
    entity_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class Touched:
    """What a set of changes made stale."""

    # Events whose match-index entry and card may have changed; None: any event may have.
    events: frozenset[str] | None
    # Cards of other events may show what changed too (a document's or a source's details).
    other_cards: bool = False
    staff: bool = False  # a moderator was granted or revoked


@dataclass(frozen=True)
class LogPosition:
    """How far the audit log went when the data was read."""

    newest: int  # the highest entry id (0 when empty)
    entries: int  # how many entries there were


def log_position(session: Reads) -> LogPosition:
    newest, entries = session.execute(select(func.max(AUDIT_LOG.c.id), func.count())).one()
    return LogPosition(newest or 0, entries)


def read_entries(session: Reads, ids: Collection[int]) -> list[Entry]:
    """The entries with these ids, oldest first."""
    ordered = sorted(ids)
    found: list[Entry] = []
    log = AUDIT_LOG.c
    columns = (log.id, log.entity, log.entity_id, log.before, log.after)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        rows = session.execute(select(*columns).where(log.id.in_(chunk)))
        found.extend(Entry(*row) for row in rows)
    return sorted(found, key=lambda entry: entry.id)


def entry_ids(session: Reads, above: int) -> list[int]:
    """Ids of the committed entries above `above`, lowest first."""
    log = AUDIT_LOG.c
    return list(session.scalars(select(log.id).where(log.id > above).order_by(log.id)))


def touched(session: Reads, entries: Iterable[Entry]) -> Touched:
    """What these entries' changes made stale (a few keyed queries for events linked to a
    changed event and for a changed source's claims)."""
    slugs: set[str] = set()
    events: list[int] = []
    sources: list[int] = []
    other_cards = staff = False
    for entry in entries:
        records = [r for r in (entry.before, entry.after) if r is not None]
        if entry.entity == "moderator":
            staff = True
        elif entry.entity == "document":
            other_cards = True
        elif entry.entity == "source" and entry.entity_id is not None:
            sources.append(entry.entity_id)
            other_cards = True  # it may publish, or relay, claims of any event
        elif entry.entity == "event" and records:
            slugs.update(r["slug"] for r in records)
            if _shown_elsewhere(entry.before, entry.after):
                slugs.update(link["event"] for r in records for link in r.get("related") or ())
                if entry.entity_id is not None:
                    events.append(entry.entity_id)
        elif entry.entity == "claim" and records:
            slugs.update(r["event"] for r in records)
        else:
            return Touched(None, other_cards=True, staff=True)
    # Events that link to a changed one show its title and slug.
    linking = select(EVENTS.c.slug).join(LINKS, LINKS.c.event_id == EVENTS.c.id)
    slugs.update(_chunked(session, linking, LINKS.c.related_event_id, events))
    by_claimant = select(EVENTS.c.slug).join(CLAIMS, CLAIMS.c.event_id == EVENTS.c.id).distinct()
    slugs.update(_chunked(session, by_claimant, CLAIMS.c.claimant_id, sources))
    return Touched(frozenset(slugs), other_cards, staff)


def _shown_elsewhere(before: dict[str, Any] | None, after: dict[str, Any] | None) -> bool:
    """Whether the cards of linked events may show this event's change: they show its slug
    and title (translated too), and only while it is visible."""
    if before is None or after is None:
        return True
    shown = ("slug", "title", "translations", "hidden", "related")
    return any(before.get(key) != after.get(key) for key in shown)


def _chunked(session: Reads, query: Any, column: Any, ids: Sequence[int]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), CHUNK):
        found.update(session.scalars(query.where(column.in_(ids[start : start + CHUNK]))))
    return found


def on_commit_with_changes(
    sessions: "sessionmaker[Session]", callback: Callable[[list[Entry]], None]
) -> None:
    """Call `callback` with the audit entries a session (from `sessions`) wrote, after it
    committed them.

    Other writes (the update inbox, pending previews) change no data and call nothing:
    reacting to them made each answer, under load, load its card again.
    """
    from db.models import AuditEntry  # only a process that writes needs the models

    key = "claimbot.audited"

    def after_flush(session: "Session", _context: Any) -> None:
        written = [row for row in session.new if isinstance(row, AuditEntry)]
        if written:
            session.info.setdefault(key, []).extend(
                Entry(r.id, r.entity, r.entity_id, r.before, r.after) for r in written
            )

    def after_commit(session: "Session") -> None:
        entries = session.info.pop(key, None)
        if entries:
            callback(entries)

    def after_rollback(session: "Session") -> None:
        session.info.pop(key, None)

    event.listen(sessions, "after_flush", after_flush)
    event.listen(sessions, "after_commit", after_commit)
    event.listen(sessions, "after_rollback", after_rollback)
