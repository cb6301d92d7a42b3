"""Keeping each process's answers in step with a database other processes change too.

Every data change writes audit entries in its own transaction (`db.audit`), so the
append-only audit log tells every process that something changed, wherever the change
was made: an `IndexKeeper` looks at it a few times a second and rebuilds the match index
(and forgets cached cards) when it moved. Changes made in this process forget the cached
cards the moment they commit.
"""

import asyncio
import dataclasses
import datetime as dt
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.answering import Answer, AnswerService
from bot.matching import Matcher
from db.audit import changes_data
from db.engine import unit_of_work
from db.models import AuditEntry
from db.outage import describe, is_database_outage
from db.queries import EventCard

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
class RenderedAnswer(Answer):
    """An answer whose pages were rendered before, for the same card."""

    rendered: tuple[str, ...] = ()

    def pages(self) -> list[str]:
        return list(self.rendered)


class CachedAnswerService(AnswerService):
    """Keeps event cards, and their rendered messages, in memory until the data changes:
    most answers then need neither a query nor rendering."""

    def __init__(self, sessions: sessionmaker[Session], matcher: Matcher) -> None:
        super().__init__(sessions, matcher)
        self._cards: dict[str, EventCard] = {}
        self._rendered: dict[str, tuple[EventCard, tuple[str, ...]]] = {}
        self._generation = 0
        self._cards_lock = threading.Lock()
        _on_commit_with_changes(sessions, self.forget_cards)

    def forget_cards(self) -> None:
        with self._cards_lock:
            self._generation += 1
            self._cards.clear()
            self._rendered.clear()

    def ask(self, question: str) -> Answer:
        return self._rendered_once(super().ask(question))

    def ask_from_memory(self, question: str) -> Answer | None:
        answer = super().ask_from_memory(question)
        return None if answer is None else self._rendered_once(answer)

    def show_event(self, slug: str) -> Answer:
        return self._rendered_once(super().show_event(slug))

    def _rendered_once(self, answer: Answer) -> Answer:
        card = answer.event
        if card is None:
            return answer
        with self._cards_lock:
            rendered = self._rendered.get(card.slug)
        if rendered is None or rendered[0] is not card:
            rendered = (card, tuple(answer.pages()))
            with self._cards_lock:
                if self._cards.get(card.slug) is card:  # still the current card
                    self._rendered[card.slug] = rendered
        return RenderedAnswer(
            answer.question, answer.outcome, card, answer.candidates, rendered=rendered[1]
        )

    def rebuild_index(self) -> int:
        # Forget first: cards loaded from here on are at least as new as the index.
        self.forget_cards()
        return super().rebuild_index()

    def card_in_memory(self, slug: str) -> EventCard | None:
        with self._cards_lock:
            return self._cards.get(slug)

    def card(self, slug: str) -> EventCard | None:
        with self._cards_lock:
            cached = self._cards.get(slug)
            generation = self._generation
        if cached is not None:
            return cached
        card = super().card(slug)
        with self._cards_lock:
            # A change committed while this card was loading may not be in it: keep it only
            # if nothing was forgotten meanwhile. Unknown slugs are not kept: users type them.
            if card is not None and generation == self._generation:
                self._cards[slug] = card
        return card


def _on_commit_with_changes(sessions: sessionmaker[Session], callback: Callable[[], None]) -> None:
    """Call `callback` after each commit of a session (from `sessions`) that changed data.

    Other writes (the update inbox, pending previews) leave the cards as they were:
    forgetting them on every write made each answer, under load, load its card again.
    """
    key = "claimbot.changed"

    def after_flush(session: Session, _context: Any) -> None:
        if changes_data(session):
            session.info[key] = True

    def after_commit(session: Session) -> None:
        if session.info.pop(key, False):
            callback()

    def after_rollback(session: Session) -> None:
        session.info.pop(key, None)

    event.listen(sessions, "after_flush", after_flush)
    event.listen(sessions, "after_commit", after_commit)
    event.listen(sessions, "after_rollback", after_rollback)


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
