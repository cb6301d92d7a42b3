"""Handling updates concurrently, each in a task that logs with its update id."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from telegram import Update
from telegram.ext import SimpleUpdateProcessor

from bot.logs import current_update_id
from bot.metrics import ANSWER_SECONDS

log = logging.getLogger(__name__)


class LoggedUpdateProcessor(SimpleUpdateProcessor):
    """Handles updates concurrently, each in a task that knows its update id, and tells
    listeners (`bot/tg/polling.py`) when an update's handlers have all finished."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._listeners: list[Callable[[object], None]] = []
        self._in_hand: set[asyncio.Task[Any]] = set()
        self._sending: set[asyncio.Task[Any]] = set()
        self._abandoned = False

    def after_each(self, listener: Callable[[object], None]) -> None:
        self._listeners.append(listener)

    def remove_after_each(self, listener: Callable[[object], None]) -> None:
        self._listeners.remove(listener)

    def abandon(self) -> None:
        """Stop handling updates at once: those in hand are cancelled and, like those not
        begun, never reported finished (so the update inbox keeps them for the next start).

        A task whose request is on its way to Telegram finishes it: Telegram may already
        have taken the answer, and cut off now, it would be answered again after the restart.
        """
        self._abandoned = True
        for task in self._in_hand - self._sending:
            task.cancel()

    @contextlib.contextmanager
    def sending(self) -> Iterator[None]:
        """Around one request to Telegram (`bot/tg/resilience.py`): once abandoned, no new
        request starts; one under way is not cut off."""
        task = asyncio.current_task()
        if task is None or task not in self._in_hand:  # not an update's (start-up, a menu)
            yield
            return
        if self._abandoned:
            raise asyncio.CancelledError
        self._sending.add(task)
        try:
            yield
        finally:
            self._sending.discard(task)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self._abandoned:
            if asyncio.iscoroutine(coroutine):
                coroutine.close()  # never started: no "never awaited" warning
            return
        update_id = update.update_id if isinstance(update, Update) else None
        current_update_id.set(update_id)
        started = time.perf_counter()
        task = asyncio.current_task()
        assert task is not None
        self._in_hand.add(task)
        try:
            await coroutine
        finally:
            self._in_hand.discard(task)
        seconds = time.perf_counter() - started
        ANSWER_SECONDS.observe(seconds)
        log.info("update handled in %.0f ms", seconds * 1000)
        for listener in self._listeners:
            listener(update)
