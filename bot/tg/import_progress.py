"""A moderator's import while it runs: one message, edited as its phases advance."""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future

from telegram.error import TelegramError

from bot.moderation.rendering import render_import_progress, render_import_working
from db.progress import Phase, PhaseClock

# Telegram limits how often a message may be edited; one edit in this many seconds is safe.
EDIT_SECONDS = 2.0


class ImportProgressMessage:
    """A `Progress` callback for the worker thread that runs an import: it edits the
    message through `show` on the event loop, at most every EDIT_SECONDS, and only for
    phases of at least `min_total` (small imports end before an edit would help)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        show: Callable[[str], Awaitable[None]],
        min_total: int = 0,
    ) -> None:
        self.loop, self.show, self.min_total = loop, show, min_total
        self.clock = PhaseClock()
        self.shown_at = 0.0
        self.pending: Future[None] | None = None

    def __call__(self, phase: Phase, done: int, total: int) -> None:
        remaining = self.clock.remaining(phase, done, total)
        now = time.monotonic()
        if total < self.min_total or now - self.shown_at < EDIT_SECONDS:
            return
        if self.pending is not None and not self.pending.done():
            return  # the last edit is still on its way
        self.shown_at = now
        text = render_import_working(render_import_progress(phase, done, total, remaining))
        self.pending = asyncio.run_coroutine_threadsafe(self._show(text), self.loop)

    async def _show(self, text: str) -> None:
        # Progress is a courtesy: a failed edit must not fail the import.
        with contextlib.suppress(TelegramError):
            await self.show(text)

    async def finished(self) -> None:
        """Wait for the last edit, so that it cannot overwrite the outcome shown next."""
        if self.pending is not None:
            await asyncio.wrap_future(self.pending)
