"""Polling Telegram so that a restart, even a killed process, neither loses nor repeats an update.

Telegram forgets every update below the offset of the next getUpdates call. PTB's own
Updater makes that call as soon as it has queued a batch, so a process killed with
updates queued or half-handled (SIGKILL, out of memory, a power cut) loses them. Here a
batch is stored in the database (`update_inbox`, `db/inbox.py`) before the next call
confirms it, and marked handled once its handlers have finished (`bot/tg/handled_marks.py`);
on start, whatever a killed process left unhandled is handled first.

While the database is unreachable a batch cannot be stored; it is handled in full before
the next call confirms it instead (users are told to try later, and nothing is lost).
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.tg.handled_marks import HandledMarks
from bot.tg.resilience import backoff_delays, retry_telegram
from bot.tg.transport import call_raw
from bot.tg.update_processor import LoggedUpdateProcessor
from db.inbox import UpdateInbox
from db.outage import describe, is_database_outage

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

POLL_SECONDS = 10
# On top of the long poll's own wait.
READ_TIMEOUT_SECONDS = 15.0


class DurablePolling:
    """Feeds the application's update queue from getUpdates through the update inbox."""

    def __init__(self, application: AnyApplication, sessions: sessionmaker[Session]) -> None:
        processor = application.update_processor
        if not isinstance(processor, LoggedUpdateProcessor):
            raise TypeError("durable polling needs the application built by bot.tg.app")
        self._application = application
        self._processor = processor
        self._sessions = sessions
        self._inbox: UpdateInbox | None = None
        self._marks: HandledMarks | None = None
        self._database_ok = True
        self._polling: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Queue what a stopped process left unhandled, then poll. The application must be
        initialized (its bot knows its id) and started (it takes updates from the queue)."""
        bot = self._application.bot
        inbox = self._inbox = UpdateInbox(self._sessions, bot.id)
        self._marks = HandledMarks(self._processor, self._sessions, inbox)
        self._marks.start()
        # A webhook and getUpdates exclude each other: polling takes over from a webhook.
        await retry_telegram("removing the webhook", bot.delete_webhook)
        try:
            left = await asyncio.to_thread(inbox.unhandled)
        except Exception as error:
            if not is_database_outage(error):
                raise
            log.warning("database unreachable: cannot look for unhandled updates")
            self._database_ok, left = False, []
        if left:
            log.info("handling %d updates a stopped process left unhandled", len(left))
        for payload in left:
            await self._application.update_queue.put(Update.de_json(payload, bot))
        self._polling = asyncio.create_task(self._poll(), name="polling")
        log.info("polling Telegram for updates")

    async def stop_polling(self) -> None:
        """Take no more updates; those stored but not yet handled wait for the next start."""
        await _cancel(self._polling)

    async def finish(self) -> None:
        """After the application has handled what it had: write the last handled marks."""
        if self._marks is not None:
            await self._marks.finish()

    async def _poll(self) -> None:
        bot = self._application.bot
        offset: int | None = None
        wait = backoff_delays()
        while True:
            try:
                updates: list[dict[str, Any]] = await call_raw(
                    bot,
                    "get_updates",
                    {
                        "offset": offset,
                        "timeout": POLL_SECONDS,
                        "allowed_updates": Update.ALL_TYPES,
                    },
                    read_timeout=READ_TIMEOUT_SECONDS + POLL_SECONDS,
                )
                if updates:
                    await self._take(updates)
                    # Only now may the next call confirm them to Telegram.
                    offset = int(updates[-1]["update_id"]) + 1
            except TelegramError as error:
                delay = wait()
                log.warning("polling Telegram failed: %s; retrying in %.1f s", error, delay)
                await asyncio.sleep(delay)
            except Exception:
                # Not confirmed: the same batch comes again on the next call.
                delay = wait()
                log.exception("taking updates failed; retrying in %.1f s", delay)
                await asyncio.sleep(delay)
            else:
                wait = backoff_delays()

    async def _take(self, updates: Sequence[dict[str, Any]]) -> None:
        assert self._inbox is not None
        bot = self._application.bot
        try:
            fresh = set(await asyncio.to_thread(self._inbox.store, updates))
        except Exception as error:
            if not is_database_outage(error):
                raise
            self._database_unreachable(error)
            await asyncio.gather(
                *(self._application.process_update(Update.de_json(u, bot)) for u in updates)
            )
            return
        self._database_ok = True
        for update in updates:
            if update["update_id"] in fresh:  # not a repeat of one stored before a restart
                await self._application.update_queue.put(Update.de_json(update, bot))

    def _database_unreachable(self, error: BaseException) -> None:
        if self._database_ok:
            self._database_ok = False
            log.warning(
                "update inbox: database unreachable (%s); handling each batch before "
                "confirming it instead",
                describe(error),
            )


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
