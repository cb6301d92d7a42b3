"""Marking updates handled in the update inbox (`db/inbox.py`), for polling and webhook alike.

An update that changed data is marked in the transaction of the change itself, so the
change is never applied twice. Any other update is marked as soon as its handlers have
finished (its answers sent): one transaction marks every update finished since the
previous one began, at most one every WRITE_GAP_SECONDS, so a burst shares transactions
and a lone question waits for none.
What a kill can repeat is an answer in flight (sent, its mark not yet committed): it is
sent again rather than risk losing it.
"""

import asyncio
import contextlib
import logging
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from telegram import Update

from bot.logs import current_update_id
from bot.tg.resilience import backoff_delays
from bot.tg.update_processor import LoggedUpdateProcessor
from db.audit import changes_data
from db.inbox import UpdateInbox, mark_handled
from db.outage import describe, is_database_outage

log = logging.getLogger(__name__)

PRUNE_SECONDS = 3600.0
WRITE_GAP_SECONDS = 0.05


class HandledMarks:
    """Writes one bot's handled marks from when `start` is called until `finish`."""

    def __init__(
        self,
        processor: LoggedUpdateProcessor,
        sessions: sessionmaker[Session],
        inbox: UpdateInbox,
    ) -> None:
        self._processor = processor
        self._sessions = sessions
        self._inbox = inbox
        self._handled: set[int] = set()
        self._newly_handled = asyncio.Event()
        self._database_ok = True
        self._pruned_at = 0.0
        self._writing: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._processor.after_each(self._note_handled)
        event.listen(self._sessions, "after_flush", self._mark_with_change)
        self._writing = asyncio.create_task(self._write_when_handled(), name="handled marks")

    async def finish(self) -> None:
        """After the application has handled what it had: write the last marks."""
        if self._writing is None:  # never started
            return
        self._writing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writing
        await self._write()
        event.remove(self._sessions, "after_flush", self._mark_with_change)
        self._processor.remove_after_each(self._note_handled)

    def _note_handled(self, update: object) -> None:
        if isinstance(update, Update):
            self._handled.add(update.update_id)
            self._newly_handled.set()

    def _mark_with_change(self, session: Session, _context: Any) -> None:
        """An update that changes data is marked handled in the same transaction."""
        update_id = current_update_id.get()
        if update_id is not None and changes_data(session):
            mark_handled(session.connection(), self._inbox.bot_id, [update_id])

    async def _write_when_handled(self) -> None:
        """Write marks whenever there are some; while the database is away, retry with
        back-off."""
        wait = backoff_delays()
        written_at = 0.0
        while True:
            await self._newly_handled.wait()
            # At most one transaction per WRITE_GAP_SECONDS: under a burst, one a reply
            # cost more CPU than the answers themselves (tests/load).
            await asyncio.sleep(max(0.0, written_at + WRITE_GAP_SECONDS - time.monotonic()))
            written_at = time.monotonic()
            self._newly_handled.clear()
            if await self._write():
                wait = backoff_delays()
            else:
                self._newly_handled.set()  # the marks are still to be written
                await asyncio.sleep(wait())

    async def _write(self) -> bool:
        """Write the handled marks (and prune, hourly); False if that failed."""
        prune = time.monotonic() - self._pruned_at >= PRUNE_SECONDS
        if not self._handled and not prune:
            return True
        handled, self._handled = self._handled, set()
        try:
            await asyncio.to_thread(self._inbox.mark_handled, handled)
            if prune:
                pruned = await asyncio.to_thread(self._inbox.prune)
                self._pruned_at = time.monotonic()
                log.debug("update inbox: pruned %d handled updates", pruned)
        except asyncio.CancelledError:
            # Stopping: the write may never have left the executor's queue; `finish` writes
            # these again (a mark written twice is harmless, one never written is an answer
            # sent twice).
            self._handled |= handled
            raise
        except Exception as error:
            self._handled |= handled  # written with the next ones
            if not is_database_outage(error):
                log.exception("marking updates handled failed")
            elif self._database_ok:
                self._database_ok = False
                log.warning("update inbox: database unreachable (%s)", describe(error))
            return False
        if not self._database_ok:
            self._database_ok = True
            log.info("update inbox: database reachable again")
        return True
