"""Keeping each process's answers in step with a database other processes change too.

Every data change writes audit entries in its own transaction (`db.audit`), so the
append-only audit log tells every process that something changed, wherever the change
was made: an `IndexKeeper` looks at it a few times a second and rebuilds the match index
(which makes the card cache forget its cards) when it moved. Changes made in this process
make the card cache forget the moment they commit (`bot/card_cache.py`).
"""

import asyncio
import dataclasses
import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.answering import AnswerService
from db.engine import unit_of_work
from db.models import AuditEntry
from db.outage import describe, is_database_outage

log = logging.getLogger(__name__)

# A transaction still open this long after a later one committed is taken to be gone.
SETTLE_SECONDS = 60.0


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
    ) -> None:
        self._sessions = sessions
        self._settle = settle_seconds
        self._clock = clock
        self._floor = 0
        self._above_floor = 0
        self._newest: int | None = None
        self._seen: deque[tuple[float, int]] = deque()  # (when first seen, newest id)

    @property
    def newest(self) -> int | None:
        """The newest audit entry id seen: the data's version, for the health report."""
        return self._newest

    def poll(self) -> bool:
        """True on the first look and whenever the log gained entries since the last one."""
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
        with unit_of_work(self._sessions) as session:
            newest, above_old_floor, above_floor = session.execute(query).one()
        changed = (
            self._newest is None or newest != self._newest or above_old_floor != self._above_floor
        )
        if newest is not None and newest != self._newest:
            self._seen.append((now, newest))
        self._floor, self._above_floor, self._newest = floor, above_floor, newest
        return changed


@dataclass(frozen=True)
class IndexState:
    events: int
    change_id: int | None  # the newest audit entry the index reflects
    built_at: dt.datetime | None
    checked_at: dt.datetime | None
    database_ok: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "change_id": self.change_id,
            "built_at": self.built_at.isoformat() if self.built_at else None,
            "checked_at": self.checked_at.isoformat() if self.checked_at else None,
            "database_ok": self.database_ok,
        }


class IndexKeeper:
    """Rebuilds the match index whenever the data changed, in this process or another."""

    def __init__(self, service: AnswerService, watch: ChangeWatch, interval: float) -> None:
        self._service = service
        self._watch = watch
        self._interval = interval
        self._state = IndexState(0, None, None, None, database_ok=True)

    @property
    def state(self) -> IndexState:
        return self._state

    def check(self) -> bool:
        """Look once; rebuild if the data changed or the database just came back. True if so."""
        now = dt.datetime.now(dt.UTC)
        was_down = not self._state.database_ok
        try:
            rebuild = self._watch.poll() or was_down
            events = self._service.rebuild_index() if rebuild else self._state.events
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
        if rebuild:
            log.info("match index rebuilt: %d events, change %s", events, self._watch.newest)
        self._state = IndexState(
            events=events,
            change_id=self._watch.newest,
            built_at=now if rebuild else self._state.built_at,
            checked_at=now,
            database_ok=True,
        )
        return rebuild

    async def run(self) -> None:
        """Check every `interval` seconds until cancelled; a failed check is logged, not fatal."""
        while True:
            try:
                await asyncio.to_thread(self.check)
            except Exception:
                log.exception("checking the data for changes failed")
            await asyncio.sleep(self._interval)
