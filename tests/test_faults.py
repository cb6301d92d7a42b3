"""Faults a deployment meets, against real `claimbot` processes and real PostgreSQL servers:
the database going away and coming back, a restart mid-burst, an import killed half-way.
"""

import json
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select

from db.engine import make_engine
from db.models import InboxUpdate
from tests.botapi import FakeTelegram, TgUser
from tests.conftest import _fresh_postgres_database, _seed_into
from tests.deployment import CLAIMBOT, BotProcess, claimbot_environment, replies
from tests.e2e import copy_seeded_sqlite
from tests.pgserver import PostgresServer

KYIV = "how many drones attacked Kyiv?"  # a one-message answer with "40" in it
UNAVAILABLE = "temporarily unavailable"
# From a reply reaching Telegram to its update's handled mark in the database.
MARKED_WITHIN_SECONDS = 0.1
# A question's usual answer takes well under a second, here as in the load tests.
ANSWERED_WITHIN_SECONDS = 1.5


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.remove()


def test_the_database_going_away_and_coming_back(
    own_postgres: PostgresServer, tmp_path: Path
) -> None:
    url = _fresh_postgres_database(own_postgres.admin_url)
    _seed_into(url)
    with FakeTelegram() as tg, FakeTelegram(token="7000000021:AAhealth-probe") as tg_web:
        bot = BotProcess(tg, url, tmp_path / "bot.log").start()
        web = BotProcess(tg_web, url, tmp_path / "web.log", webhook=True).start()
        alice = tg.add_user("Alice")
        alice.send(KYIV)
        assert "40" in replies(alice.chat)[0].content

        own_postgres.stop()
        # An answer needing the database (this card was never loaded) says to try later.
        alice.send("how many died at Makiivka?")
        assert UNAVAILABLE in replies(alice.chat)[0].content
        alice.send("/events")
        assert UNAVAILABLE in replies(alice.chat)[0].content
        status, report = web.health()
        assert status == 503 and report["database"]["reachable"] is False
        assert report["index"]["events"] == 10  # still answering from the last index
        assert bot.alive and web.alive

        own_postgres.start()
        started = time.monotonic()
        while True:
            alice.send("how many died at Makiivka?")
            if "89" in "\n".join(m.content for m in replies(alice.chat)):
                break
            assert time.monotonic() - started < 15, "no recovery after the database came back"
        assert web.health()[0] == 200
        assert bot.stop() == 0 and web.stop() == 0
        tg.assert_no_rejected_calls()
        text = bot.log_path.read_text()
        assert "database unreachable" in text and "database reachable again" in text


def test_a_restart_mid_burst_neither_loses_nor_repeats_an_update(
    postgres_admin_url: str, seeded_postgres_template: str, tmp_path: Path
) -> None:
    url = _fresh_postgres_database(postgres_admin_url, seeded_postgres_template)
    with FakeTelegram() as tg:
        users = [tg.add_user(f"User {n}") for n in range(60)]
        first = BotProcess(tg, url, tmp_path / "first.log", rate_limit_per_second="20").start()
        assert first.process is not None
        for user in users[:40]:
            user.send(KYIV)
        tg.wait_until(lambda: answered(users) >= 5 or None, 30, "the first answers")
        first.process.send_signal(signal.SIGTERM)  # mid-burst: the rest queued or in flight
        assert answered(users) < 40
        assert first.stop() == 0
        for user in users[40:]:
            user.send(KYIV)  # arrive while no bot runs
        second = BotProcess(tg, url, tmp_path / "second.log").start()
        tg.wait_until(lambda: answered(users) == len(users) or None, 30, "every answer")
        time.sleep(1)  # a repeated update would have been answered by now
        assert [len(u.chat.bot_messages()) for u in users] == [1] * len(users)
        assert all("40" in u.chat.bot_messages()[0].content for u in users)
        assert second.stop() == 0
        tg.assert_no_rejected_calls()


def test_a_stop_while_an_answer_is_on_its_way_does_not_send_it_again(
    postgres_admin_url: str, seeded_postgres_template: str, tmp_path: Path
) -> None:
    """Telegram took the answer but its reply is slow: a graceful stop waits for it rather
    than leave the update unhandled for the next process to answer again."""
    url = _fresh_postgres_database(postgres_admin_url, seeded_postgres_template)
    with FakeTelegram() as tg:
        alice = tg.add_user("Alice")
        first = BotProcess(tg, url, tmp_path / "first.log").start()
        assert first.process is not None
        tg.inject_slow_answer("sendMessage", 2.0)
        alice.send(KYIV)
        tg.wait_until(lambda: alice.chat.bot_messages() or None, 30, "the answer")
        first.process.send_signal(signal.SIGTERM)  # its sendMessage has not returned yet
        assert first.stop() == 0
        second = BotProcess(tg, url, tmp_path / "second.log").start()
        # Its answer shows the second process at work: what it took over came before it.
        alice.send("how many died at Makiivka?")
        tg.wait_until(lambda: len(alice.chat.bot_messages()) >= 2 or None, 30, "a new answer")
        time.sleep(0.5)  # a repeated answer would have come by now
        answers = [m.content for m in alice.chat.bot_messages()]
        assert len(answers) == 2 and "40" in answers[0] and "Makiivka" in answers[1]
        assert second.stop() == 0


def answered(users: list[TgUser]) -> int:
    return sum(1 for u in users if u.chat.bot_messages())


def big_data_set(events: int) -> dict[str, object]:
    return {
        "format": "claimbot-dataset",
        "version": 1,
        "sources": [{"name": "Generated claimant", "kind": "government", "side": "third_party"}],
        "events": [
            {
                "slug": f"generated-event-{n}",
                "title": f"Generated event {n}",
                "summary": f"A generated event, number {n}.",
                "place": f"Place {n}",
                "aliases": [{"text": f"generated alias {n}", "lang": "en"}],
            }
            for n in range(events)
        ],
        "claims": [
            {
                "key": f"generated-claim-{n}",
                "event": f"generated-event-{n}",
                "claimant": "Generated claimant",
                "metric": "killed",
                "qualifier": "exact",
                "low": n,
                "high": n,
                "wording": str(n),
                "summary": f"{n} killed",
                "quote": f"Exactly {n} people were killed, the claimant said.",
                "appearances": [{"document": "generated.txt"}],
            }
            for n in range(events)
        ],
    }


def export(url: str) -> str:
    return subprocess.run(
        [CLAIMBOT, "export", "--format", "json"],
        env=claimbot_environment(url),
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def writing_transactions(url: str) -> int:
    """Open transactions on the database that have written something (they hold an xid)."""
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
        ).fetchone()
    assert row is not None
    return int(row[0])


def audit_entries(url: str) -> int:
    with psycopg.connect(url) as connection:
        row = connection.execute("SELECT count(*) FROM audit_log").fetchone()
    assert row is not None
    return int(row[0])


def test_an_import_killed_half_way_leaves_the_database_as_it_was(
    postgres_admin_url: str, seeded_postgres_template: str, tmp_path: Path
) -> None:
    url = _fresh_postgres_database(postgres_admin_url, seeded_postgres_template)
    data = tmp_path / "big.json"
    data.write_text(json.dumps(big_data_set(20_000)))
    before, entries_before = export(url), audit_entries(url)
    progress = tmp_path / "progress.txt"
    with progress.open("w") as stderr:
        process = subprocess.Popen(
            [CLAIMBOT, "import", str(data)],
            env=claimbot_environment(url),
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        deadline = time.monotonic() + 60
        # Rows are written, not yet committed: the first batches of 40,001 records.
        while "writing: " not in progress.read_text() or writing_transactions(url) != 1:
            assert process.poll() is None, progress.read_text()
            assert time.monotonic() < deadline, "the import never got going"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        stdout, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL and "Imported." not in stdout
    deadline = time.monotonic() + 30
    while writing_transactions(url):  # the server notices the client is gone and rolls back
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert audit_entries(url) == entries_before
    assert export(url) == before


def inbox(url: str) -> tuple[int, int]:
    """Updates in the polling inbox: (handled, not handled)."""
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT count(handled_at), count(*) - count(handled_at) FROM update_inbox"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_a_killed_bot_answers_after_restart_what_it_had_taken_and_nothing_twice(
    postgres_admin_url: str, seeded_postgres_template: str, tmp_path: Path
) -> None:
    """SIGKILL, not SIGTERM: no graceful stop. The updates it had taken from Telegram (and
    Telegram has forgotten) are answered by the next process; what it had answered is not."""
    url = _fresh_postgres_database(postgres_admin_url, seeded_postgres_template)
    with FakeTelegram() as tg:
        early, *users = [tg.add_user(f"User {n}") for n in range(6)]
        first = BotProcess(tg, url, tmp_path / "first.log").start()
        early.send(KYIV)
        assert "40" in replies(early.chat)[0].content
        tg.wait_until(lambda: inbox(url) == (1, 0) or None, 10, "the answer marked handled")
        # From now on every send fails: the next questions are taken, but never answered.
        tg.inject_fault("sendMessage", count=100_000, status=502)
        for user in users:
            user.send(KYIV)
        tg.wait_until(
            lambda: (
                (not tg.pending_updates() and tg.call_count("sendMessage") > len(users)) or None
            ),
            30,
            "every question taken from Telegram and its answer tried",
        )
        assert first.stop(signal.SIGKILL) == -signal.SIGKILL
        assert inbox(url) == (1, len(users))
        tg.clear_faults()

        second = BotProcess(tg, url, tmp_path / "second.log").start()
        tg.wait_until(lambda: answered(users) == len(users) or None, 30, "every answer")
        tg.wait_until(lambda: inbox(url) == (6, 0) or None, 10, "every answer marked handled")
        assert second.stop(signal.SIGKILL) == -signal.SIGKILL
        third = BotProcess(tg, url, tmp_path / "third.log").start()
        time.sleep(1.5)  # a repeated update would have been answered by now
        assert [len(u.chat.bot_messages()) for u in [early, *users]] == [1] * 6
        assert all("40" in u.chat.bot_messages()[0].content for u in users)
        assert third.stop() == 0
        tg.assert_no_rejected_calls()
    assert "handling 5 updates a stopped process left unhandled" in second.log_path.read_text()


def moderator_entries(url: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT action, entity FROM audit_log WHERE actor LIKE 'tg:%' ORDER BY id"
        ).fetchall()
    return [(str(action), str(entity)) for action, entity in rows]


def test_a_change_whose_process_was_killed_before_replying_is_not_applied_again(
    postgres_admin_url: str, seeded_postgres_template: str, tmp_path: Path
) -> None:
    """/undo commits, then the process is killed before its reply gets out. The restarted
    bot must not run /undo a second time (which would revert the moderator's previous
    change too): the change marked its update handled in its own transaction."""
    url = _fresh_postgres_database(postgres_admin_url, seeded_postgres_template)
    with FakeTelegram() as tg:
        admin = tg.add_user("Ada")
        first = BotProcess(tg, url, tmp_path / "first.log", admin_ids=str(admin.id)).start()
        for name in ("Zyxwv junction", "Qoppa plaza"):
            admin.send(f'/alias makiivka-strike "{name}"')
            assert "Added the name" in replies(admin.chat)[0].content
        tg.inject_fault("sendMessage", count=100_000, status=502)
        admin.send("/undo")
        tg.wait_until(lambda: len(moderator_entries(url)) == 3 or None, 10, "the undo committed")
        assert first.stop(signal.SIGKILL) == -signal.SIGKILL
        tg.clear_faults()

        second = BotProcess(tg, url, tmp_path / "second.log", admin_ids=str(admin.id)).start()
        time.sleep(1.5)  # a repeated /undo would have run by now
        assert [action for action, _ in moderator_entries(url)] == ["alias", "alias", "undo"]
        card = "Killed: 🟠 89 (Russian MoD; earlier 63)"  # Makiivka's
        admin.send("Zyxwv junction")
        assert card in replies(admin.chat)[0].content
        admin.send("Qoppa plaza")
        assert card not in replies(admin.chat)[0].content
        assert second.stop() == 0
        tg.assert_no_rejected_calls()


def test_an_answer_is_marked_handled_as_soon_as_it_is_sent(
    seeded_sqlite_template: Path, tmp_path: Path
) -> None:
    """A killed process re-sends the answers whose handled mark was not written yet. That
    must be only the ones in flight at the kill: each mark follows its reply at once (they
    used to wait for a write every quarter second, and a kill re-sent 33 of 50)."""
    url = copy_seeded_sqlite(seeded_sqlite_template, tmp_path)
    with FakeTelegram() as tg:
        bot = BotProcess(tg, url, tmp_path / "bot.log").start()
        users = [tg.add_user(f"User {n}") for n in range(8)]
        for user in users:
            user.send(KYIV)
            assert "40" in user.chat.next_bot_message(timeout=10).content
        time.sleep(0.5)
        assert bot.stop(signal.SIGKILL) == -signal.SIGKILL
        sent = {int(c.params["chat_id"]): c.time for c in tg.calls("sendMessage")}
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(select(InboxUpdate.payload, InboxUpdate.handled_at)).all()
    engine.dispose()
    lags = {
        payload["message"]["chat"]["id"]: handled.timestamp()
        - sent[payload["message"]["chat"]["id"]]
        for payload, handled in rows
        if handled is not None
    }
    assert sorted(lags) == sorted(u.id for u in users)
    assert max(lags.values()) < MARKED_WITHIN_SECONDS, lags


@contextmanager
def writing(url: str) -> Iterator[None]:
    """A long write transaction, as a large import holds: on SQLite, its one write lock."""
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE events SET title = title")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    with psycopg.connect(url) as pg:
        pg.execute("UPDATE events SET title = title")
        yield
        pg.rollback()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_questions_are_answered_at_once_while_a_long_write_holds_the_database(
    database: str,
    seeded_sqlite_template: Path,
    postgres_admin_url: str,
    seeded_postgres_template: str,
    tmp_path: Path,
) -> None:
    """An import writes for a long time in one transaction. Answers only read, but
    polling stores each batch first: on SQLite it waited out the 5 s busy timeout."""
    if database == "sqlite":
        url = copy_seeded_sqlite(seeded_sqlite_template, tmp_path)
    else:
        url = _fresh_postgres_database(postgres_admin_url, seeded_postgres_template)
    with FakeTelegram() as tg:
        bot = BotProcess(tg, url, tmp_path / "bot.log").start()
        user = tg.add_user("Ivy")
        with writing(url):
            for _ in range(3):
                started = time.monotonic()
                user.send(KYIV)
                assert "40" in user.chat.next_bot_message(timeout=30).content
                assert time.monotonic() - started < ANSWERED_WITHIN_SECONDS
        assert bot.stop() == 0
