"""The delivery worker: sends followers their notifications from the outbox (`db/outbox.py`).

Every replica runs one. Each round it renders the notifications that fell due, then leases
a batch of deliveries (no other sender takes them: `FOR UPDATE SKIP LOCKED` on
PostgreSQL, serialised writes on SQLite) and sends them, recording each one right after
Telegram accepted it (`SentRecorder`: the sends accepted while one record is being written
share the next write). A killed sender's lease runs out and another sender (or the next
start) sends the rest; only a send in flight at the kill (accepted, not yet recorded) can
reach its chat twice. A stopping sender gives its unsent rows back at once.

Telegram's limits: `rate` notifications a second for this sender, evenly spaced (bursts
cost CPU in the HTTP client's pool and meet Telegram's limit as 429s), one a second per
chat, and after a 429 no send starts until its `retry_after` is out. Each message is
encoded once per language and sent to each follower as a ready JSON body
(`JsonBodyRequest.post_encoded`).

Answers to users come first: they have the application's own HTTP connections; the
sender leaves them ANSWER_HEADROOM messages of the bot's limit beyond those they sent in
the last second (so a question during a broadcast is not answered after a 429's wait);
and while any update is being handled it steps back, at most half a send's interval,
made up for by the next send, so that even answers in hand all the time do not lower the
broadcast's rate.
"""

import asyncio
import datetime as dt
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.follow_rendering import OPEN_CARD_BUTTON, UNFOLLOW_BUTTON
from bot.follow_service import notification_text
from bot.i18n import is_language, translator
from bot.metrics import FLOOD_LIMITS, NOTIFICATIONS
from bot.tg import callbacks
from bot.tg.resilience import backoff_delays, retry_after_seconds
from bot.tg.transport import JsonBodyRequest, SendWindow
from db.engine import unit_of_work
from db.outbox import Due, claim_deliveries, drop_chat, mark_sent, prepare_due, release

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
# While answers are in hand a notification steps back this long at most: enough for an
# answer's requests to go first, short enough that a steady stream of questions does not
# stall a broadcast (tests/load/follow_load.py measures both).
ANSWER_YIELD_SECONDS = 0.05
ANSWER_POLL_SECONDS = 0.01
CHAT_INTERVAL_SECONDS = 1.0  # Telegram: about one message a second into one chat
# Requests in flight: about a round trip's worth of the rate (~150 ms to Telegram), 4 at
# least. They bound what a kill can duplicate: sent, and not yet recorded.
ROUND_TRIP_SECONDS = 0.15
SENDS_AT_ONCE = 4


# Of Telegram's limit for the whole bot, kept free for answers beyond those sent in the
# last second: a question arriving during a broadcast is not answered with a 429's wait.
ANSWER_HEADROOM = 3


@dataclass(frozen=True)
class Answers:
    """What the sender knows of the answers it gives way to."""

    in_hand: Callable[[], int]  # updates being handled now
    sent: SendWindow  # the answers' messages in the last second
    limit: float  # Telegram's messages a second for the whole bot; 0 for none


def sends_at_once(rate: float) -> int:
    return max(SENDS_AT_ONCE, math.ceil(rate * ROUND_TRIP_SECONDS))


class DeliveryWorker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        request: JsonBodyRequest,
        send_message_url: str,
        rate: float,
        lease: dt.timedelta,
        answers: Answers,
    ) -> None:
        self._sessions = sessions
        self._request = request
        self._url = send_message_url
        self._interval = 1 / rate
        self._next_send = 0.0
        self._sent = SendWindow()  # this sender's, beside the answers'
        # At most half a send's interval, so that stepping back for answers never lowers
        # the rate (a stream of slow answers is in hand nearly all the time).
        self._step_back = min(ANSWER_YIELD_SECONDS, 0.5 / rate)
        self._held_until = 0.0  # after a 429, until its retry_after is out
        self._in_flight = sends_at_once(rate)
        self._recorder = SentRecorder(sessions)
        self._answers = answers
        # A batch takes about a fifth of the lease at full rate, leaving room for 429 waits;
        # what is not sent when 80% of the lease is gone is given back.
        self._batch = max(1, int(rate * lease.total_seconds() / 5))
        self._lease = lease
        self._chat_sent: dict[int, float] = {}
        self._leased: set[int] = set()

    @classmethod
    def for_bot(
        cls,
        sessions: sessionmaker[Session],
        token: str,
        base_url: str,
        rate: float,
        lease: dt.timedelta,
        answers: Answers,
    ) -> "DeliveryWorker":
        """A worker with its own HTTP connections, so that answers never queue behind it."""
        request = JsonBodyRequest(sends_at_once(rate))
        url = f"{base_url}{token}/sendMessage"
        return cls(sessions, request, url, rate, lease, answers)

    async def run(self) -> None:
        """Send until cancelled; the unsent rows of the batch in hand are given back."""
        wait = backoff_delays(POLL_SECONDS)
        await self._request.initialize()
        try:
            while True:
                try:
                    due = await asyncio.to_thread(self._next_batch)
                    await self._send_all(due)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("notification delivery failed; trying again shortly")
                    await asyncio.sleep(wait())
                    continue
                wait = backoff_delays(POLL_SECONDS)
                if not due:
                    await asyncio.sleep(POLL_SECONDS)
        finally:
            await self._give_back()
            await self._request.shutdown()

    def _next_batch(self) -> list[Due]:
        with unit_of_work(self._sessions) as session:
            prepare_due(session, notification_text)
        with unit_of_work(self._sessions) as session:
            due = claim_deliveries(session, self._lease, self._batch)
        self._leased = {d.id for d in due}
        return due

    async def _send_all(self, due: list[Due]) -> None:
        leased_until = time.monotonic() + self._lease.total_seconds() * 0.8
        slots = asyncio.Semaphore(self._in_flight)
        sending: set[asyncio.Task[None]] = set()
        bodies: dict[tuple[str, str, str], bytes] = {}
        for delivery in due:
            # A slot first, then the send's turn: the send starts on time, not in a burst
            # when slots free up (bursts meet Telegram's limit as 429s).
            await slots.acquire()
            await self._wait_turn(delivery.chat_id)
            if time.monotonic() > leased_until:
                slots.release()
                break  # the rest are given back rather than sent on an expired lease
            message = (delivery.language, delivery.event_slug, delivery.text)
            if message not in bodies:
                bodies[message] = encoded_message(*message)
            body = b'{"chat_id":%d,%s' % (delivery.chat_id, bodies[message])
            task = asyncio.create_task(self._send(delivery, body))
            task.add_done_callback(lambda _: slots.release())
            sending.add(task)
        if sending:
            await asyncio.gather(*sending)
        await self._give_back()

    async def _wait_turn(self, chat_id: int) -> None:
        """Pace: evenly at the rate, the chat's one a second, a 429's wait, answers first."""
        answers = self._answers
        start = max(
            self._next_send,
            self._chat_sent.get(chat_id, 0) + CHAT_INTERVAL_SECONDS,
            self._held_until,
        )
        while (wait := start - time.monotonic()) > 0:
            await asyncio.sleep(wait)
            start = max(start, self._held_until)  # a 429 met meanwhile moves it on
        waited = 0.0
        while answers.in_hand() and waited < self._step_back:
            await asyncio.sleep(ANSWER_POLL_SECONDS)
            waited += ANSWER_POLL_SECONDS
        while answers.limit:
            if self._sent.count() + answers.sent.count() < answers.limit - ANSWER_HEADROOM:
                break
            await asyncio.sleep(ANSWER_POLL_SECONDS)  # until an answer's second is over
        now = time.monotonic()
        # A send held back half an interval or less (answers first) is made up for by the
        # next one, so stepping back keeps the rate; after a longer wait the pace starts
        # afresh rather than with a burst.
        self._next_send = max(start, now - self._interval / 2) + self._interval
        self._sent.note()
        self._chat_sent[chat_id] = now
        if len(self._chat_sent) > 10 * self._batch:
            horizon = now - CHAT_INTERVAL_SECONDS
            self._chat_sent = {c: t for c, t in self._chat_sent.items() if t > horizon}

    async def _send(self, delivery: Due, body: bytes) -> None:
        wait = backoff_delays()
        for _ in range(8):
            try:
                await self._request.post_encoded(self._url, body)
            except RetryAfter as error:
                FLOOD_LIMITS.labels("sendMessage").inc()
                # Telegram says the bot sends too much: no send starts before the wait is out.
                wait_out = retry_after_seconds(error)
                self._held_until = max(self._held_until, time.monotonic() + wait_out)
                await asyncio.sleep(wait_out)
                continue
            except Forbidden:
                # Blocked, or removed from the group: it is unfollowed and sent nothing more.
                log.info("chat %s cannot be written to; unfollowing it", delivery.chat_id)
                await self._record(delivery, lambda s: drop_chat(s, delivery.chat_id))
                NOTIFICATIONS.labels("dropped").inc()
                return
            except BadRequest as error:
                # Retrying the same message cannot help (the chat is gone, say).
                log.warning("notification to %s refused: %s", delivery.chat_id, error.message)
                await self._record(delivery, lambda s: drop_chat(s, delivery.chat_id))
                NOTIFICATIONS.labels("dropped").inc()
                return
            except NetworkError as error:
                # It may have arrived: sending again may duplicate it, which beats losing it.
                log.warning("notification to %s failed (%s); retrying", delivery.chat_id, error)
                await asyncio.sleep(wait())
                continue
            await self._recorder.sent(delivery.id)
            self._leased.discard(delivery.id)
            NOTIFICATIONS.labels("sent").inc()
            return
        log.warning("notification %s not sent yet; its lease will let it be retried", delivery.id)

    async def _record(self, delivery: Due, write: Callable[[Session], None]) -> None:
        def in_a_transaction() -> None:
            with unit_of_work(self._sessions) as session:
                write(session)

        await asyncio.to_thread(in_a_transaction)
        self._leased.discard(delivery.id)

    async def _give_back(self) -> None:
        leased, self._leased = self._leased, set()
        if leased:

            def give_back() -> None:
                with unit_of_work(self._sessions) as session:
                    release(session, leased)

            await asyncio.to_thread(give_back)


def encoded_message(language: str, event_slug: str, text: str) -> bytes:
    """A notification's sendMessage body as JSON, but for its opening `{"chat_id":N,`:
    encoded once per message and language, not once per follower."""
    tr = translator(language if is_language(language) else "en")
    buttons = [
        {"text": tr.gettext(OPEN_CARD_BUTTON), "callback_data": callbacks.open_event(event_slug)},
        {"text": tr.gettext(UNFOLLOW_BUTTON), "callback_data": callbacks.unfollow(event_slug)},
    ]
    payload = {
        "text": text,
        "parse_mode": ParseMode.HTML,
        "link_preview_options": {"is_disabled": True},
        "reply_markup": {"inline_keyboard": [buttons]},
    }
    return json.dumps(payload, separators=(",", ":")).encode()[1:]


class SentRecorder:
    """Records sends as they succeed: each send waits for the commit that records it, and
    the sends that succeed while one commit runs share the next (one write, not one each,
    at hundreds a second)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def sent(self, delivery_id: int) -> None:
        recorded = asyncio.get_running_loop().create_future()
        self._waiting.append((delivery_id, recorded))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write())
        await recorded

    async def _write(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                await asyncio.to_thread(self._mark, [delivery_id for delivery_id, _ in group])
            except Exception as error:
                for _, recorded in group:
                    recorded.set_exception(error)
            else:
                for _, recorded in group:
                    recorded.set_result(None)

    def _mark(self, ids: list[int]) -> None:
        with unit_of_work(self._sessions) as session:
            mark_sent(session, ids)
