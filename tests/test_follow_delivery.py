"""Delivering notifications: exactly once per follower with two senders on one PostgreSQL
database, under Telegram's limits; and nothing lost when a real `claimbot` is killed
mid-broadcast and started again.

The senders are the real delivery worker (`bot/tg/delivery.py`) over HTTP against the
local Bot API server, which enforces the per-chat and overall limits (429 with
`retry_after`) as Telegram does.
"""

import asyncio
import datetime as dt
import signal
import time
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.moderation.service import ModerationService
from bot.tg.delivery import Answers, DeliveryWorker, sends_at_once
from bot.tg.transport import SendWindow
from db.engine import make_engine, make_session_factory, unit_of_work
from db.follows import follow
from db.models import Event
from db.outbox import backlog
from tests.botapi import FakeTelegram
from tests.conftest import _fresh_postgres_database
from tests.deployment import BotProcess
from tests.e2e import copy_seeded_sqlite

ADMIN = 1
NO_ANSWERS = Answers(lambda: 0, SendWindow(), 0)  # senders alone, no application beside them
CHANGE = ("retract", {"claim": "makiivka-russian-mod-six-himars-rockets-fired"})


def followers(tg: FakeTelegram, sessions: sessionmaker[Session], count: int) -> list[int]:
    """`count` new users of the test server, each following Makiivka."""
    users = [tg.add_user(f"Follower {n}").id for n in range(count)]
    with unit_of_work(sessions) as session:
        event_id = session.scalar(select(Event.id).where(Event.slug == "makiivka-strike"))
        assert event_id is not None
        for user_id in users:
            follow(session, user_id, event_id, "en")
    return users


def sent_to(tg: FakeTelegram) -> Counter[int]:
    """How many notifications each chat was sent (accepted by the server)."""
    return Counter(
        int(call.params["chat_id"])
        for call in tg.calls("sendMessage")
        if call.status == 200 and str(call.params.get("text", "")).startswith("🔔")
    )


def change_now(sessions: sessionmaker[Session]) -> None:
    """A moderator's change, due at once (no quiet period)."""
    moderation = ModerationService(sessions, {ADMIN}, follow_quiet=dt.timedelta(0))
    command, values = CHANGE
    assert moderation.execute(ADMIN, command, values).followers > 0


def test_two_senders_on_postgresql_send_each_notification_once(
    postgres_admin_url: str, seeded_postgres_template: str
) -> None:
    url = _fresh_postgres_database(postgres_admin_url, seeded_postgres_template)
    engines = [make_engine(url) for _ in range(2)]  # two replicas, two connection pools
    replicas = [make_session_factory(engine) for engine in engines]
    # Each sender alone stays within the overall limit; together they exceed it, so the
    # server answers 429s, which they wait out.
    with FakeTelegram(messages_per_second=10, chat_messages_per_second=1) as tg:
        users = followers(tg, replicas[0], 100)
        change_now(replicas[0])

        async def broadcast() -> None:
            workers = [
                DeliveryWorker.for_bot(
                    s, tg.token, tg.base_url, 8, dt.timedelta(seconds=5), NO_ANSWERS
                )
                for s in replicas
            ]
            tasks = [asyncio.create_task(w.run()) for w in workers]
            deadline = time.monotonic() + 60
            while len(sent_to(tg)) < len(users) or backlog(replicas[0]):
                assert time.monotonic() < deadline, f"{len(sent_to(tg))} of {len(users)} told"
                await asyncio.sleep(0.2)
            await asyncio.sleep(1)  # time for a second, wrong send to show up
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run(broadcast())
        told = sent_to(tg)
        assert set(told) == set(users)
        assert max(told.values()) == 1, [c for c, n in told.items() if n > 1]
        calls = tg.calls("sendMessage")
        assert any(call.status == 429 for call in calls)
    for engine in engines:
        engine.dispose()


def sender(tg: FakeTelegram, url: str, log: Path) -> BotProcess:
    """`claimbot run` sending 40 notifications a second, with a lease of 2 s."""
    return BotProcess(
        tg,
        url,
        log,
        follow_messages_per_second="40",
        follow_lease_seconds="2",
        follow_quiet_seconds="0",
    )


def test_a_sender_killed_mid_broadcast_loses_nothing_after_a_restart(
    seeded_sqlite_template: Path, tmp_path: Path
) -> None:
    url = copy_seeded_sqlite(seeded_sqlite_template, tmp_path)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with FakeTelegram(chat_messages_per_second=1) as tg:
        users = followers(tg, sessions, 200)
        first = sender(tg, url, tmp_path / "first.log")
        second = sender(tg, url, tmp_path / "second.log")
        try:
            first.start(timeout=120)
            change_now(sessions)
            tg.wait_until(lambda: len(sent_to(tg)) >= 60 or None, 60, "the broadcast to start")
            first.stop(signal.SIGKILL)
            assert len(sent_to(tg)) < len(users), "the broadcast ended before the kill"
            second.start(timeout=120)
            tg.wait_until(lambda: backlog(sessions) == 0 or None, 60, "every follower")
            time.sleep(1)
            assert second.stop() == 0
        finally:
            for process in (first, second):
                if process.alive:
                    process.stop(signal.SIGKILL)
            engine.dispose()
        told = sent_to(tg)
        assert set(told) == set(users)  # lost: none
        # Twice at most for the sends in flight at the kill: accepted, not yet recorded.
        twice = [chat for chat, n in told.items() if n > 1]
        assert len(twice) <= sends_at_once(40) and max(told.values()) <= 2, twice


def test_answers_during_a_broadcast_at_the_bots_limit_meet_no_429(
    seeded_sqlite_template: Path, tmp_path: Path
) -> None:
    """The sender may send as fast as the whole limit allows; answers sent meanwhile (3 a
    second, noted as the application's rate limiter notes them) are left room."""
    url = copy_seeded_sqlite(seeded_sqlite_template, tmp_path)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with FakeTelegram(messages_per_second=10, chat_messages_per_second=1) as tg:
        users = followers(tg, sessions, 60)
        askers = [tg.add_user(f"Asker {n}") for n in range(6)]
        change_now(sessions)
        answered = SendWindow()
        answers = Answers(lambda: 0, answered, 10)

        async def broadcast() -> None:
            worker = DeliveryWorker.for_bot(
                sessions, tg.token, tg.base_url, 10, dt.timedelta(seconds=30), answers
            )
            task = asyncio.create_task(worker.run())
            deadline = time.monotonic() + 60
            async with httpx.AsyncClient() as client:
                turn = 0
                while len(sent_to(tg)) < len(users):
                    assert time.monotonic() < deadline, f"{len(sent_to(tg))} told"
                    answered.note()
                    chat = askers[turn % len(askers)].id
                    reply = {"chat_id": chat, "text": "An answer."}
                    await client.post(f"{tg.api_url}/sendMessage", json=reply)
                    turn += 1
                    await asyncio.sleep(1 / 3)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

        asyncio.run(broadcast())
        refused = [
            call
            for call in tg.calls("sendMessage")
            if call.status == 429 and call.params.get("text") == "An answer."
        ]
        assert not refused, f"{len(refused)} answers met a 429"
        assert set(sent_to(tg)) == set(users)
    engine.dispose()
