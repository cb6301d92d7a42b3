"""Flood limits, retries and logs: the in-process bot against the local Bot API server."""

import asyncio
import contextvars
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.logs import REDACTED, JsonFormatter, TextFormatter, current_update_id
from bot.tg.resilience import PatientRateLimiter
from db.outage import is_database_outage
from tests.botapi import FakeTelegram
from tests.deployment import BotProcess
from tests.e2e import copy_seeded_sqlite, running_bot

KYIV = "how many drones attacked Kyiv?"
# Telegram's per-chat limit holds a chat back for a second at a time: far less than that.
OTHERS_WAIT_SECONDS = 0.8


@pytest.fixture
def bot_url(seeded_sqlite_template: Path, tmp_path: Path) -> str:
    return copy_seeded_sqlite(seeded_sqlite_template, tmp_path)


def test_a_burst_is_sent_within_the_flood_limit(bot_url: str) -> None:
    with FakeTelegram() as tg, running_bot(tg, bot_url, rate_limit_per_second=20):
        users = [tg.add_user(f"User {n}") for n in range(40)]
        for user in users:
            user.send(KYIV)
        for user in users:
            assert "40" in user.chat.next_bot_message(timeout=20).content
        sent = sorted(c.time for c in tg.calls("sendMessage"))
        # 20 at once, then 20 a second: the other 20 need about a second more.
        assert sent[-1] - sent[0] >= 0.9
        tg.assert_no_rejected_calls()


def test_failing_calls_of_every_method_are_retried_until_they_pass(bot_url: str) -> None:
    with FakeTelegram() as tg, running_bot(tg, bot_url):
        alice = tg.add_user("Alice")
        tg.inject_fault(None, count=3, status=503)  # getUpdates included
        tg.inject_fault("sendMessage", count=1, status=429, retry_after=0.2)
        alice.send(KYIV)
        assert "40" in alice.chat.next_bot_message(timeout=20).content
        assert len(tg.rejected_calls(include_injected=True)) == 4
        tg.assert_no_rejected_calls()


def call_counter(*failures: Exception) -> tuple[list[int], Any]:
    calls: list[int] = []

    async def callback() -> bool:
        calls.append(1)
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]
        return True

    return calls, callback


def process(limiter: PatientRateLimiter, callback: Any) -> Any:
    return asyncio.run(
        limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 1}, None)
    )


def test_network_errors_are_retried_and_bad_requests_are_not() -> None:
    limiter = PatientRateLimiter(0, retries=3, first_backoff=0.01)
    calls, callback = call_counter(NetworkError("Bad Gateway"), TimedOut())
    assert process(limiter, callback) is True and len(calls) == 3
    calls, callback = call_counter(BadRequest("can't parse entities"))
    with pytest.raises(BadRequest):
        process(limiter, callback)
    assert len(calls) == 1
    calls, callback = call_counter(*[NetworkError("down")] * 5)
    with pytest.raises(NetworkError):
        process(limiter, callback)
    assert len(calls) == 4


def test_only_an_unreachable_database_counts_as_an_outage() -> None:
    assert is_database_outage(OperationalError("SELECT 1", {}, Exception("connection refused")))
    assert not is_database_outage(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_database_outage(ValueError("no"))


def log_record(message: str) -> logging.LogRecord:
    try:
        raise RuntimeError(f"failed with {message}")
    except RuntimeError:
        return logging.LogRecord(
            "claimbot", logging.ERROR, __file__, 1, message, (), sys.exc_info()
        )


def test_json_logs_carry_the_update_id_and_never_a_secret() -> None:
    formatter = JsonFormatter(secrets=["123:SECRET"])
    record = log_record("calling https://api.telegram.org/bot123:SECRET/getMe")

    def in_an_update() -> str:
        current_update_id.set(4242)
        return formatter.format(record)

    line = contextvars.copy_context().run(in_an_update)
    entry = json.loads(line)
    assert entry["update_id"] == 4242 and entry["level"] == "ERROR"
    assert entry["message"] == f"calling https://api.telegram.org/bot{REDACTED}/getMe"
    assert "RuntimeError" in entry["exception"] and "SECRET" not in line
    assert "update_id" not in json.loads(formatter.format(log_record("outside")))


def test_text_logs_name_the_update_and_redact_secrets() -> None:
    formatter = TextFormatter(secrets=["hunter2"])

    def in_an_update() -> str:
        current_update_id.set(7)
        return formatter.format(log_record("password hunter2"))

    line = contextvars.copy_context().run(in_an_update)
    assert "[update 7]" in line and "hunter2" not in line and REDACTED in line


def test_a_claimbot_process_keeps_the_token_out_of_debug_logs(bot_url: str, tmp_path: Path) -> None:
    """PTB logs the Bot API URL, token included, at DEBUG: the formatter must catch it."""
    with FakeTelegram() as tg:
        bot = BotProcess(tg, bot_url, tmp_path / "bot.log", log_format="text").start()
        alice = tg.add_user("Alice")
        alice.send(KYIV)
        assert "40" in alice.chat.next_bot_message(timeout=10).content
        time.sleep(0.2)
        assert bot.stop() == 0
    text = bot.log_path.read_text()
    assert REDACTED in text and tg.token not in text
    assert tg.token.split(":", 1)[1] not in text


def test_a_flooding_user_delays_no_one_else(bot_url: str) -> None:
    """Telegram allows a chat about one message a second (429 with retry_after past it).
    One user's backlog waits on their chat alone; they are told once to slow down."""
    with (
        FakeTelegram(chat_messages_per_second=1) as tg,
        running_bot(tg, bot_url, questions_per_minute=5),
    ):
        flooder, other = tg.add_user("Flo"), tg.add_user("Otto")
        for _ in range(30):
            flooder.send(KYIV)
        flooder.chat.next_bot_message(timeout=20)  # the flood is being answered
        for _ in range(3):
            started = time.monotonic()
            other.send(KYIV)
            assert "40" in other.chat.next_bot_message(timeout=20).content
            assert time.monotonic() - started < OTHERS_WAIT_SECONDS
            time.sleep(1)  # within the chat's own limit
        tg.wait_until(lambda: len(flooder.chat.bot_messages()) >= 6 or None, 30, "the flood")
        time.sleep(1.5)
        sent = [m.content for m in flooder.chat.bot_messages()]
        assert len(sent) == 6  # 5 answers and, among them, one "slow down"
        assert sum("faster than I can answer" in text for text in sent) == 1
        assert any(c.status == 429 for c in tg.calls("sendMessage"))
        tg.assert_no_rejected_calls()
