"""Keeping each process's answers in step with a database other processes change too.

Every data change writes audit entries in its own transaction (`db.audit`), so the
append-only audit log tells every process what changed, wherever the change was made: an
`IndexKeeper` looks at it a few times a second, reads which events the new entries touched
(`db.changes`) and re-indexes only those, dropping only their cards. Entries this process
wrote are skipped: they were applied when they committed (`bot/answering.py`). Where it
cannot tell what changed (its first look, or an entry that committed below one already
seen) or a change touched very many events, it rebuilds the whole index beside the live one.
"""

import asyncio
import dataclasses
import datetime as dt
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.answering import ENTRY_LIMIT, AnswerService
from db.changes import LogPosition, entry_ids, read_entries, touched
from db.engine import unit_of_work
from db.models import AuditEntry
from db.outage import describe, is_database_outage

log = logging.getLogger(__name__)

# A transaction still open this long after a later one committed is taken to be gone.
SETTLE_SECONDS = 60.0


@dataclass(frozen=True)
class Changes:
    """What the audit log gained since the last look."""

    # The new entries' ids; None when that is not known: the first look, or an entry that
    # committed after one with a higher id was seen.
    ids: tuple[int, ...] | None
    newest: int | None


class ChangeWatch:
    """Tells whether the audit log gained entries since the last look.

    The newest id alone is not enough: ids come from a sequence but transactions commit in
    any order, so one that took a lower id can commit after a higher id was seen. Counting
    the entries above a floor catches it; the floor trails the newest id by SETTLE_SECONDS,
    which (from a minute after start) keeps the count a short index range scan however long
    the log grows.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settle_seconds: float = SETTLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        since: LogPosition | None = None,
    ) -> None:
        """`since`: where in the log an index was built from, if one was (the first look
        then tells what changed after it, instead of asking for a build)."""
        self._sessions = sessions
        self._settle = settle_seconds
        self._clock = clock
        self._floor = 0
        self._above_floor = 0 if since is None else since.entries
        self._newest: int | None = None if since is None else since.newest
        self._seen: deque[tuple[float, int]] = deque()  # (when first seen, newest id)
        if since is not None:
            self._seen.append((clock(), since.newest))

    @property
    def newest(self) -> int | None:
        """The newest audit entry id seen: the data's version, for the health report."""
        return self._newest

    def poll(self) -> Changes | None:
        """What changed since the last look; None if nothing did."""
        now = self._clock()
        floor = self._floor
        while self._seen and now - self._seen[0][0] >= self._settle:
            floor = self._seen.popleft()[1]
        ids = AuditEntry.id
        query = select(
            select(func.max(ids)).scalar_subquery(),
            select(func.count()).where(ids > self._floor).scalar_subquery(),
            select(func.count()).where(ids > floor).scalar_subquery(),
        )
        first = self._newest is None
        with unit_of_work(self._sessions) as session:
            # The new ids first, then the counts: an entry committed in between is counted
            # but not listed, so it shows as a gap (a rebuild), never as nothing.
            arrived = [] if first else entry_ids(session, self._newest or 0)
            newest, above_old_floor, above_floor = session.execute(query).one()
        newest = newest or 0
        counted = above_old_floor - self._above_floor
        if newest != self._newest:
            self._seen.append((now, newest))
        self._floor, self._above_floor, self._newest = floor, above_floor, newest
        if first or counted != len(arrived):
            return Changes(None, newest)
        return Changes(tuple(arrived), newest) if arrived else None


@dataclass(frozen=True)
class IndexState:
    events: int
    change_id: int | None  # the newest audit entry the index reflects
    built_at: dt.datetime | None
    checked_at: dt.datetime | None
    database_ok: bool
    rebuilds: int = 0  # whole-index builds since start (the first included)
    refreshed: int = 0  # events re-indexed one by one since start

    def to_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "change_id": self.change_id,
            "built_at": self.built_at.isoformat() if self.built_at else None,
            "checked_at": self.checked_at.isoformat() if self.checked_at else None,
            "database_ok": self.database_ok,
            "rebuilds": self.rebuilds,
            "refreshed": self.refreshed,
        }


class StaffIds:
    """The Telegram ids of admins and moderators, in memory.

    Every private text message is checked against them (only staff have forms), so most
    need no query; they are read again after a grant or revoke, which the index keeper sees
    in the audit log.
    """

    def __init__(self, load: Callable[[], Iterable[int]]) -> None:
        self._load = load
        self._ids: frozenset[int] | None = None
        self._generation = 0
        self._lock = threading.Lock()

    def known(self, user_id: int) -> bool | None:
        """Whether `user_id` is staff; None until the ids were read (`read` them)."""
        ids = self._ids
        return None if ids is None else user_id in ids

    def read(self) -> frozenset[int]:
        with self._lock:
            generation = self._generation
        ids = frozenset(self._load())
        with self._lock:
            if generation == self._generation:  # no grant or revoke came meanwhile
                self._ids = ids
        return ids

    def forget(self) -> None:
        with self._lock:
            self._generation += 1
            self._ids = None


class IndexKeeper:
    """Applies data changes made in other processes to the match index and card cache."""

    def __init__(
        self,
        service: AnswerService,
        watch: ChangeWatch,
        interval: float,
        staff: StaffIds | None = None,
    ) -> None:
        """`staff`: the staff ids to read again after a grant or revoke, where they are kept."""
        self._service = service
        self._watch = watch
        self._interval = interval
        self._staff = staff
        self._unapplied = False  # changes were seen but applying them failed
        built = dt.datetime.now(dt.UTC) if service.built_from else None
        self._state = IndexState(len(service), watch.newest, built, None, database_ok=True)

    @property
    def state(self) -> IndexState:
        return self._state

    def check(self) -> bool:
        """Look once and apply what changed; True if anything did."""
        now = dt.datetime.now(dt.UTC)
        was_down = not self._state.database_ok
        try:
            changes = self._watch.poll()
            if self._unapplied:
                # The last changes seen were not all applied: which ones is not known.
                changes = Changes(None, self._watch.newest)
            self._unapplied = changes is not None
            rebuilt = changes is not None and self._apply(changes)
            self._unapplied = False
        except Exception as error:
            if not is_database_outage(error):
                raise
            if not was_down:
                log.warning(
                    "database unreachable; answering from the last index: %s", describe(error)
                )
            self._state = dataclasses.replace(self._state, checked_at=now, database_ok=False)
            return False
        if was_down:
            log.info("database reachable again")
        service = self._service
        if rebuilt:
            log.info("match index rebuilt: %d events, change %s", len(service), self._watch.newest)
        self._state = IndexState(
            events=len(service),
            change_id=self._watch.newest,
            built_at=now if rebuilt else self._state.built_at,
            checked_at=now,
            database_ok=True,
            rebuilds=service.rebuilds,
            refreshed=service.refreshed,
        )
        return changes is not None

    def _apply(self, changes: Changes) -> bool:
        """Apply these changes; True if that took a whole rebuild."""
        service = self._service
        ids = None if changes.ids is None else service.take_others(changes.ids)
        if ids is not None and len(ids) <= ENTRY_LIMIT:
            with service.engine.connect() as connection:
                stale = touched(connection, read_entries(connection, ids))
            if stale.staff and self._staff is not None:
                self._staff.forget()
            if stale.events is not None:
                service.apply(stale)
                return False
        if self._staff is not None:
            self._staff.forget()
        service.rebuild_index()
        service.forget_own(changes.newest)
        return True

    async def run(self) -> None:
        """Check every `interval` seconds until cancelled; a failed check is logged, not fatal."""
        while True:
            try:
                await asyncio.to_thread(self.check)
            except Exception:
                log.exception("checking the data for changes failed")
            await asyncio.sleep(self._interval)
