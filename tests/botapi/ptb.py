"""Helpers to run a real python-telegram-bot ``Application`` against the fake server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.ext import Application

__all__ = ["running"]


@asynccontextmanager
async def running(
    app: Application[Any, Any, Any, Any, Any, Any],
    *,
    allowed_updates: Sequence[str] | None = Update.ALL_TYPES,
    poll_timeout: int = 10,
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """Initialize, start and poll ``app``; stop and shut it down on exit.

    Polling is long polling: the fake server answers as soon as an update is
    queued, so ``poll_timeout`` only bounds idle requests, never test latency.
    """
    async with app:
        await app.start()
        assert app.updater is not None, "build the Application with an Updater"
        await app.updater.start_polling(
            poll_interval=0.0, timeout=poll_timeout, allowed_updates=allowed_updates
        )
        try:
            yield app
        finally:
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
