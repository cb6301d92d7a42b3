"""Several claimbot processes on one PostgreSQL database, each a real `claimbot run`.

Process A serves a webhook, process B polls; each talks to a local Bot API server of its
own, as two replicas behind one proxy would see the same Telegram.
"""

import json
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.botapi import FakeTelegram, TgUser
from tests.conftest import _free_port, _fresh_postgres_database
from tests.deployment import (
    CLAIMBOT,
    WEBHOOK_SECRET,
    BotProcess,
    claimbot_environment,
    http,
    replies,
)

ADMIN_IDS = "10001"  # the first user each test server creates: the admin below
CHANGE_VISIBLE_SECONDS = 2.0
STOP_SECONDS = 1.0


@pytest.fixture(scope="module")
def shared_database(postgres_admin_url: str, seeded_postgres_template: str) -> str:
    return _fresh_postgres_database(postgres_admin_url, seeded_postgres_template)


@pytest.fixture(scope="module")
def pair(
    shared_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[BotProcess, BotProcess]]:
    logs = tmp_path_factory.mktemp("logs")
    with (
        FakeTelegram(token="7000000011:AAwebhook-replica") as tg_a,
        FakeTelegram(token="7000000012:AApolling-replica") as tg_b,
    ):
        # Admins first: both servers number their users from 10001.
        tg_a.add_user("Ada"), tg_b.add_user("Bea")
        a = BotProcess(tg_a, shared_database, logs / "a.log", webhook=True, admin_ids=ADMIN_IDS)
        b = BotProcess(
            tg_b,
            shared_database,
            logs / "b.log",
            admin_ids=ADMIN_IDS,
            metrics_port=str(_free_port()),
        )
        try:
            yield a.start(), b.start()
        finally:
            for process in (a, b):
                if process.process is not None:
                    assert process.stop() == 0, process.log_path.read_text()
            tg_a.assert_no_rejected_calls()
            tg_b.assert_no_rejected_calls()


def ask(user: TgUser, question: str) -> str:
    user.send(question)
    return "\n".join(m.content for m in replies(user.chat))


def answered_within(user: TgUser, question: str, figure: str, seconds: float) -> float:
    """Ask until the answer is the card with `figure`; how long that took."""
    started = time.monotonic()
    while True:
        if figure in ask(user, question):
            return time.monotonic() - started
        assert time.monotonic() - started < seconds, f"{question!r} not answered in {seconds} s"


@pytest.mark.parametrize("direction", ["webhook to polling", "polling to webhook"])
def test_a_moderators_change_through_one_process_is_answered_by_the_other(
    pair: tuple[BotProcess, BotProcess], direction: str
) -> None:
    a, b = pair
    through, other = (a, b) if direction == "webhook to polling" else (b, a)
    name = "Zyxwv junction" if through is a else "Qoppa plaza"
    slug = "makiivka-strike" if through is a else "kramatorsk-strike"
    figure = "89" if through is a else "more than 600"  # in that event's card only
    moderator = through.tg.user(int(ADMIN_IDS))
    asker = other.tg.add_user("Asker")
    assert "no event" in ask(asker, name.lower())

    saved = ask(moderator, f'/alias {slug} "{name}" lang=en')
    assert name in saved, saved
    took = answered_within(asker, name.lower(), figure, CHANGE_VISIBLE_SECONDS)
    assert took < CHANGE_VISIBLE_SECONDS


def test_the_webhook_needs_the_secret_and_reports_health(
    pair: tuple[BotProcess, BotProcess],
) -> None:
    a, _ = pair
    update = b'{"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "hi"}}'  # noqa: E501
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
        status, _ = http(a.url("/telegram"), update, {"Content-Type": "application/json"} | headers)
        assert status == 403
    status, report = a.health()
    assert status == 200
    assert report["status"] == "ok" and report["database"]["reachable"] is True
    assert report["index"]["events"] >= 10 and report["index"]["change_id"] > 0
    assert a.tg.webhook_info()["url"] == a.url("/telegram")
    good = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET, "Content-Type": "application/json"}
    assert http(a.url("/telegram"), b"[1, 2]", good)[0] == 400


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str) -> Samples:
    """A Prometheus scrape as {(sample name, labels): value}."""
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def grew(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


INBOX_OPEN = "claimbot_moderator_inbox_open"


def test_each_replica_serves_prometheus_metrics_of_what_it_did(
    pair: tuple[BotProcess, BotProcess],
) -> None:
    for n, process in enumerate(pair):  # the webhook's own address; the poller's metrics port
        user = process.tg.add_user("Counted")
        before = scrape(process.metrics_url())
        process.tg.inject_fault("sendMessage", count=1, status=429, retry_after=0.1)
        ask(user, "how many died at Makiivka?")
        # No match: into the moderators' inbox (unlike each other, or they would be grouped).
        ask(user, ["zzqx vrrk plonk", "quorbish delm fantaro"][n])
        deadline = time.monotonic() + 10
        while grew(before, after := scrape(process.metrics_url()), INBOX_OPEN) < 1:
            assert time.monotonic() < deadline, "the unanswered question never reached /inbox"
            time.sleep(0.1)
        assert grew(before, after, INBOX_OPEN) == 1
        assert after[("claimbot_outbox_backlog", ())] == 0  # nobody follows anything here
        assert grew(before, after, "claimbot_questions_total", outcome="answer") == 1
        assert grew(before, after, "claimbot_questions_total", outcome="no_match") == 1
        assert grew(before, after, "claimbot_answer_seconds_count") >= 2
        assert grew(before, after, "claimbot_telegram_requests_total", method="sendMessage") >= 2
        flood_limits = "claimbot_telegram_flood_limits_total"
        assert grew(before, after, flood_limits, method="sendMessage") == 1
        assert after[("claimbot_index_events", ())] >= 10
        assert after[("claimbot_index_built_timestamp_seconds", ())] > 1.7e9
        assert after[("claimbot_inbox_backlog", ())] >= 0
        assert grew(before, after, "claimbot_database_errors_total", kind="unreachable") == 0


def test_logs_are_json_lines_with_update_ids_and_no_secrets(
    pair: tuple[BotProcess, BotProcess], tmp_path: Path
) -> None:
    a, b = pair
    for process in (a, b):
        user = process.tg.add_user("Logan")
        ask(user, "how many drones attacked Kyiv?")
        text = process.log_path.read_text()
        assert process.tg.token not in text
        assert WEBHOOK_SECRET not in text
        entries = process.log_entries()  # every line parses
        handled = [e for e in entries if e["message"].startswith("update handled")]
        assert handled and all(isinstance(e["update_id"], int) for e in handled)


def test_flood_waits_and_server_errors_delay_a_reply_but_never_drop_it(
    pair: tuple[BotProcess, BotProcess],
) -> None:
    _, b = pair
    user = b.tg.add_user("Patient")
    b.tg.inject_fault("sendMessage", count=2, status=429, retry_after=0.3)
    b.tg.inject_fault("sendMessage", count=2, status=502)
    b.tg.inject_fault("getUpdates", count=2, status=500)
    started = time.monotonic()
    assert "40" in ask(user, "how many drones attacked Kyiv?")
    assert time.monotonic() - started > 0.6  # both flood waits were honoured
    statuses = [c.status for c in b.tg.calls("sendMessage") if int(c.params["chat_id"]) == user.id]
    assert statuses == [429, 429, 502, 502, 200]


def test_two_moderators_in_two_processes_editing_one_claim(
    pair: tuple[BotProcess, BotProcess], shared_database: str
) -> None:
    a, b = pair
    with psycopg.connect(shared_database) as connection:
        row = connection.execute("SELECT version FROM claims WHERE id = 5").fetchone()
    assert row is not None
    seen = row[0]
    first = ask(a.tg.user(int(ADMIN_IDS)), f'/editclaim 5 subject="From A" version={seen}')
    assert f"now version {seen + 1}" in first, first
    second = ask(b.tg.user(int(ADMIN_IDS)), f'/editclaim 5 subject="From B" version={seen}')
    assert f"changed since version {seen}" in second and "nothing was written" in second
    with psycopg.connect(shared_database) as connection:
        assert connection.execute("SELECT subject FROM claims WHERE id = 5").fetchone() == (
            "From A",
        )


def test_webhook_mode_names_the_missing_setting_at_once(tmp_path: Path) -> None:
    environment = claimbot_environment(
        f"sqlite:///{tmp_path / 'bot.db'}",
        token="7000000031:AAmissing-secret",
        webhook_url="https://bot.example.org/telegram",
    )
    started = time.monotonic()
    result = subprocess.run(
        [CLAIMBOT, "run", "--webhook"], env=environment, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "CLAIMBOT_WEBHOOK_SECRET: required in webhook mode" in result.stderr
    assert time.monotonic() - started < 10 and not (tmp_path / "bot.db").exists()


def test_a_rejected_token_is_one_line_without_the_token(tmp_path: Path) -> None:
    with FakeTelegram() as tg:
        wrong = "7000000099:AArevoked-token_0123456789"
        environment = claimbot_environment(
            f"sqlite:///{tmp_path / 'bot.db'}", token=wrong, bot_api_url=tg.base_url
        )
        result = subprocess.run([CLAIMBOT, "run"], env=environment, capture_output=True, text=True)
    assert result.returncode == 2
    assert "CLAIMBOT_TOKEN: Telegram rejected it" in result.stderr
    assert wrong.split(":")[1] not in result.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_ends_it_within_a_second_while_telegram_is_unreachable(
    tmp_path: Path, sig: int
) -> None:
    """Start-up retries wait for a Bot API nobody answers (port 9): Ctrl-C or SIGTERM must
    still end the process at once (it needed SIGKILL after 40 s)."""
    log = tmp_path / "bot.log"
    environment = claimbot_environment(
        f"sqlite:///{tmp_path / 'bot.db'}",
        token="garbage",
        bot_api_url="http://127.0.0.1:9/bot",
        log_format="json",
    )
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [CLAIMBOT, "run"], env=environment, stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        deadline = time.monotonic() + 60
        while "retrying in" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "no start-up retry was logged"
            time.sleep(0.05)
        time.sleep(1.2)  # into the second retry's wait
        process.send_signal(sig)
        started = time.monotonic()
        code = process.wait(timeout=30)
        took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
    assert took < STOP_SECONDS, log.read_text()
    assert code == 0, log.read_text()


def test_a_stop_signal_ends_it_within_a_second_while_answers_are_retried(
    tmp_path: Path,
) -> None:
    """Telegram refuses every answer (502, retried with back-off): a stop must not wait for
    the retries. The question it could not answer is answered after the next start."""
    with FakeTelegram() as tg:
        user = tg.add_user("Pat")
        url = f"sqlite:///{tmp_path / 'bot.db'}"
        first = BotProcess(tg, url, tmp_path / "first.log").start(timeout=120)
        tg.inject_fault("sendMessage", count=100_000, status=502)
        user.send("how many drones attacked Kyiv?")
        tg.wait_until(lambda: tg.call_count("sendMessage") >= 2 or None, 30, "a retried answer")
        started = time.monotonic()
        assert first.stop(signal.SIGTERM) == 0
        assert time.monotonic() - started < STOP_SECONDS, first.log_path.read_text()
        tg.clear_faults()
        second = BotProcess(tg, url, tmp_path / "second.log").start()
        assert "40" in replies(user.chat)[0].content
        assert second.stop() == 0


@pytest.fixture(scope="module")
def replicas(
    postgres_admin_url: str,
    seeded_postgres_template: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[FakeTelegram, str, BotProcess, BotProcess]]:
    """Two webhook replicas of one bot on one database, as behind one proxy."""
    url = _fresh_postgres_database(postgres_admin_url, seeded_postgres_template)
    logs = tmp_path_factory.mktemp("replicas")
    with FakeTelegram(token="7000000013:AAwebhook-replicas") as tg:
        admin = tg.add_user("Ada")
        first = BotProcess(tg, url, logs / "1.log", webhook=True, admin_ids=str(admin.id))
        second = BotProcess(tg, url, logs / "2.log", webhook=True, admin_ids=str(admin.id))
        try:
            first.start()
            second.start()  # registered last: Telegram posts to it
            yield tg, url, first, second
        finally:
            for process in (first, second):
                if process.process is not None:
                    assert process.stop() == 0, process.log_path.read_text()
            tg.assert_no_rejected_calls()


def post_update(process: BotProcess, update: dict[str, Any]) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    body = json.dumps(update).encode()
    return http(process.url("/telegram"), body, headers | {"Content-Type": "application/json"})[0]


def count_rows(url: str, query: str) -> int:
    with psycopg.connect(url) as connection:
        row = connection.execute(query).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize(
    ("command", "table"),
    [
        (
            '/status 5 disputed reason="Replayed." evidence=https://example.org/replayed',
            "assessments",
        ),
        (
            '/addclaim event=makiivka-strike claimant="Rybar" metric=killed figure="about 12" '
            'quote="About 12, once." date=2023-01-02 publisher="Example News" '
            "url=https://example.org/once",
            "claims",
        ),
        ("how many drones attacked Kyiv?", None),
    ],
)
def test_an_update_posted_again_to_any_replica_is_answered_and_applied_once(
    replicas: tuple[FakeTelegram, str, BotProcess, BotProcess], command: str, table: str | None
) -> None:
    """Telegram sends an update again when a delivery failed or timed out; a proxy may hand
    each delivery to another replica. Once answered, once applied."""
    tg, url, first, second = replicas
    admin = tg.user(10001)
    before = count_rows(url, f"SELECT count(*) FROM {table}") if table else 0
    admin.send(command)
    admin.chat.next_bot_message(timeout=30)
    answered = len(admin.chat.bot_messages())
    update = tg.delivered_updates()[-1]
    assert update["message"]["text"] == command
    assert post_update(first, update) == 200
    assert post_update(second, update) == 200
    time.sleep(1.5)  # a second answer would have come by now
    assert len(admin.chat.bot_messages()) == answered
    if table:
        assert count_rows(url, f"SELECT count(*) FROM {table}") == before + 1


@pytest.mark.parametrize(
    "body",
    [
        b'{"update_id": 7, "message": "not a message"}',
        b'{"update_id": 8, "message": {"message_id": 1, "date": 100000000000000000000, '
        b'"chat": {"id": 1, "type": "private"}, "text": "hi"}}',
        b'{"update_id": 9, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"update_id": 10, "callback_query": {"id": 5}}',
        b"[]",
        b"not json",
    ],
    ids=["message-string", "date-1e20", "deep-nesting", "callback-without-fields", "list", "text"],
)
def test_a_body_that_is_not_an_update_is_refused_with_400(
    replicas: tuple[FakeTelegram, str, BotProcess, BotProcess], body: bytes
) -> None:
    _, _, first, _ = replicas
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    assert (
        http(first.url("/telegram"), body, headers | {"Content-Type": "application/json"})[0] == 400
    )
    assert first.alive
