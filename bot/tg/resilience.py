"""Riding out faults: Telegram's flood limits and hiccups, and a database that goes away.

A reply is delayed rather than dropped: a 429 waits out its `retry_after`, a timeout, a
network error or a 5xx answer backs off and tries again. A retried send whose first
attempt did reach Telegram shows up twice, which beats a question left unanswered.

Telegram limits each chat to about a message a second. Sends to one chat go out one at a
time, in order, and a 429 for a chat holds back that chat's sends only: PTB's own limiter
paused every send on any 429, so one flooding user delayed everyone.
"""

import asyncio
import contextlib
import datetime as dt
import logging
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter
from telegram.ext import AIORateLimiter
from telegram.warnings import PTBDeprecationWarning

from bot.metrics import FLOOD_LIMITS, TELEGRAM_REQUESTS
from bot.tg.transport import CONNECTIONS, SendWindow

log = logging.getLogger(__name__)

T = TypeVar("T")
ApiResult = bool | dict[str, Any] | list[dict[str, Any]]

FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0


def backoff_delays(first: float = FIRST_BACKOFF_SECONDS) -> Callable[[], float]:
    """Successive waits, doubling up to MAX_BACKOFF_SECONDS."""
    delay = first / 2

    def following() -> float:
        nonlocal delay
        delay = min(delay * 2, MAX_BACKOFF_SECONDS)
        return delay

    return following


class PatientRateLimiter(AIORateLimiter):
    """Telegram's flood limits on sending, plus retries with back-off for failed requests."""

    def __init__(
        self,
        per_second: float,
        retries: int = 8,
        first_backoff: float = FIRST_BACKOFF_SECONDS,
        in_flight: int = CONNECTIONS,
        sending: Callable[[], AbstractContextManager[None]] = nullcontext,
        sent: SendWindow | None = None,
    ) -> None:
        super().__init__(
            overall_max_rate=per_second,
            # A period of 0 switches the overall limit off, as a rate of 0 asks.
            overall_time_period=1 if per_second else 0,
            max_retries=retries,
        )
        self._retries = retries
        self._first_backoff = first_backoff
        self._slots = asyncio.Semaphore(in_flight)
        self._sending = sending  # tells a stopping process which requests are under way
        self._sent = sent  # where sends into chats are counted, if anywhere
        # One lock per chat with sends waiting, and how many wait on it.
        self._chats: dict[object, tuple[asyncio.Lock, int]] = {}

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, ApiResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> ApiResult:
        chat = data.get("chat_id")

        async def in_a_slot(*args: Any, **kwargs: Any) -> ApiResult:
            retries_left = self._retries
            while True:
                try:
                    async with self._slots:
                        with self._sending():
                            if self._sent is not None and chat is not None:
                                self._sent.note()
                            return await callback(*args, **kwargs)
                except RetryAfter as error:
                    FLOOD_LIMITS.labels(endpoint).inc()
                    if chat is None or retries_left == 0:
                        raise  # AIORateLimiter waits it out, holding back every send
                    retries_left -= 1
                    delay = retry_after_seconds(error) + 0.1
                    log.info("chat %s: flood limit; its sends wait %.1f s", chat, delay)
                    await asyncio.sleep(delay)  # holding this chat's turn, not a slot

        TELEGRAM_REQUESTS.labels(endpoint).inc()
        async with self._turn_of(chat):
            # AIORateLimiter waits out other 429s; this adds network errors and 5xx answers.
            wait = backoff_delays(self._first_backoff)
            retries_left = self._retries
            while True:
                try:
                    return await super().process_request(
                        in_a_slot, args, kwargs, endpoint, data, rate_limit_args
                    )
                except BadRequest as error:  # a NetworkError, but retrying cannot help
                    too_old = "query is too old" in error.message.lower()
                    if endpoint == "answerCallbackQuery" and too_old:
                        # Telegram acknowledges a press once and only for a short while; a
                        # press replayed from the update inbox, or reached late, must still
                        # take effect.
                        log.info("a button press was acknowledged too late: %s", error.message)
                        return True
                    raise
                except NetworkError as error:
                    if retries_left == 0:
                        raise
                    retries_left -= 1
                    delay = wait()
                    log.warning("%s failed (%s); retrying in %.1f s", endpoint, error, delay)
                    await asyncio.sleep(delay)

    @contextlib.asynccontextmanager
    async def _turn_of(self, chat: object) -> AsyncIterator[None]:
        """Sends to one chat wait for each other, first come first served."""
        if chat is None:
            yield
            return
        lock, waiting = self._chats.get(chat, (asyncio.Lock(), 0))
        self._chats[chat] = (lock, waiting + 1)
        try:
            async with lock:
                yield
        finally:
            lock, waiting = self._chats[chat]
            if waiting == 1:
                del self._chats[chat]
            else:
                self._chats[chat] = (lock, waiting - 1)


def retry_after_seconds(error: RetryAfter) -> float:
    """How long a 429 asks to wait."""
    with warnings.catch_warnings():  # PTB warns that the type will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)


async def retry_telegram(what: str, action: Callable[[], Awaitable[T]]) -> T:
    """Keep trying a start-up call while Telegram is unreachable; a bad token fails at once."""
    wait = backoff_delays()
    while True:
        try:
            return await action()
        except InvalidToken:
            raise
        except NetworkError as error:
            if isinstance(error, BadRequest):
                raise
            delay = wait()
            log.warning("%s failed (%s); retrying in %.1f s", what, error, delay)
            await asyncio.sleep(delay)
