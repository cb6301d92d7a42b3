"""Handling updates concurrently, each in a task that logs with its update id."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
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
        self._abandoned = False

    def after_each(self, listener: Callable[[object], None]) -> None:
        self._listeners.append(listener)

    def remove_after_each(self, listener: Callable[[object], None]) -> None:
        self._listeners.remove(listener)

    def abandon(self) -> None:
        """Stop handling updates at once: those in hand are cancelled and, like those not
        begun, never reported finished (so the update inbox keeps them for the next start)."""
        self._abandoned = True
        for task in self._in_hand:
            task.cancel()

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
