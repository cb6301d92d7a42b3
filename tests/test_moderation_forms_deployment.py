"""Guided forms kept in the database: a restart or another replica continues them.

Real `claimbot run` processes (`tests/deployment.py`) against the local Bot API server:
a moderator's `/addclaim` form is started, the process is restarted (or the next answer
reaches another replica), and the form is finished and saved all the same.
"""

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.engine import make_engine, make_session_factory, unit_of_work
from db.models import Claim
from tests.botapi import FakeTelegram, MessageView, TgUser
from tests.conftest import _fresh_postgres_database
from tests.deployment import WEBHOOK_SECRET, BotProcess, http, replies
from tests.e2e import copy_seeded_sqlite

ADMIN_ID = "10001"  # the first user each test server creates
QUOTE = "Twelve people were killed, the council said."


def claims_quoting(database_url: str, quote: str) -> int:
    engine = make_engine(database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            return session.scalar(select(func.count()).where(Claim.quote == quote)) or 0
    finally:
        engine.dispose()


# What the moderator answers to each question of /addclaim, by words of its prompt: text to
# send, or the label of a button to press.
ANSWERS = {
    "Which event": ("send", "makiivka-strike"),
    "Who made the claim": ("send", "Rybar"),
    "What does the claim count": ("press", "killed"),
    "figure in the claimant's words": ("send", "12"),
    "How is the figure stated": ("press", "Skip"),
    "About whom": ("press", "Skip"),
    "quoted word for word": ("send", QUOTE),
    "When was it stated": ("press", "Skip"),
    "based on": ("press", "Skip"),
    "one-line summary": ("press", "Skip"),
    "Who reported it": ("send", "Example News"),
    "report's address": ("press", "Skip"),
}


def answer(user: TgUser, question: MessageView) -> MessageView:
    """Answer one form question as ANSWERS says; the bot's next message."""
    how, value = next(a for words, a in ANSWERS.items() if words in question.content)
    if how == "send":
        user.send(value)
    else:
        user.press(question, value).wait_answer(timeout=10)
    return user.chat.next_bot_message(timeout=15)


def fill_in(user: TgUser, first: MessageView, between: Callable[[int], None]) -> MessageView:
    """Answer questions until the preview; `between(n)` runs before the n-th answer."""
    shown, number = first, 0
    while "Preview of /addclaim" not in shown.content:
        assert "⚠️" not in shown.content, shown.content
        between(number)
        shown, number = answer(user, shown), number + 1
        assert number < 20, "the form never ends"
    return shown


def save(user: TgUser, preview: MessageView) -> str:
    user.press(preview, "✅ Save").wait_answer(timeout=10)
    return user.chat.next_bot_event(timeout=10, kinds=("edit",)).message.content


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, seeded_sqlite_template: Path, tmp_path: Path
) -> str:
    if request.param == "sqlite":
        return copy_seeded_sqlite(seeded_sqlite_template, tmp_path)
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    template: str = request.getfixturevalue("seeded_postgres_template")
    return _fresh_postgres_database(admin_url, template)


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server
        # A press handled just before a restart can be delivered again (at least once): its
        # second acknowledgement is refused as too old, as Telegram would. Nothing else may be.
        refused = [
            call
            for call in server.rejected_calls()
            if not (call.method == "answerCallbackQuery" and "too old" in (call.description or ""))
        ]
        assert refused == [], refused


def test_a_form_interrupted_by_a_restart_is_finished_afterwards_and_saved(
    tg: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    moderator = tg.add_user("Ada")
    assert str(moderator.id) == ADMIN_ID
    process = BotProcess(tg, database_url, tmp_path / "bot.log", admin_ids=ADMIN_ID).start()

    def restart_midway(number: int) -> None:
        nonlocal process
        if number == 3:
            assert process.stop() == 0, process.log_path.read_text()
            process = BotProcess(tg, database_url, tmp_path / "bot.log", admin_ids=ADMIN_ID)
            process.start()

    try:
        moderator.send("/addclaim")
        preview = fill_in(moderator, moderator.chat.next_bot_message(timeout=15), restart_midway)
        assert "Twelve people were killed" in preview.content
        assert "Added claim #" in save(moderator, preview)
    finally:
        assert process.stop() == 0, process.log_path.read_text()
    assert claims_quoting(database_url, QUOTE) == 1


def telegram_call(tg: FakeTelegram, method: str, parameters: dict[str, str]) -> None:
    status, reply = http(
        f"{tg.base_url}{tg.token}/{method}",
        json.dumps(parameters).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 200 and reply["ok"], reply


def route_updates_to(tg: FakeTelegram, replica: BotProcess) -> None:
    """What a load balancer does between answers: send the next update to this replica."""
    url = replica.url("/telegram")
    telegram_call(tg, "setWebhook", {"url": url, "secret_token": WEBHOOK_SECRET})


def test_two_replicas_continue_each_others_forms(
    tg: FakeTelegram,
    postgres_admin_url: str,
    seeded_postgres_template: str,
    tmp_path: Path,
) -> None:
    database_url = _fresh_postgres_database(postgres_admin_url, seeded_postgres_template)
    moderator = tg.add_user("Ada")
    replicas = [
        BotProcess(tg, database_url, tmp_path / f"{name}.log", webhook=True, admin_ids=ADMIN_ID)
        for name in ("a", "b")
    ]
    try:
        for replica in replicas:
            # Each start waits for its own webhook registration.
            telegram_call(tg, "deleteWebhook", {})
            replica.start()
        route_updates_to(tg, replicas[0])
        moderator.send("/addclaim")
        first = moderator.chat.next_bot_message(timeout=15)

        def alternate(number: int) -> None:
            route_updates_to(tg, replicas[(number + 1) % 2])

        preview = fill_in(moderator, first, alternate)
        route_updates_to(tg, replicas[1])
        assert "Added claim #" in save(moderator, preview)
        assert not replies_left(moderator)
    finally:
        for replica in replicas:
            if replica.process is not None:
                assert replica.stop() == 0, replica.log_path.read_text()
    assert claims_quoting(database_url, QUOTE) == 1
    # Both replicas took part: each handled about half of the form's updates.
    for replica in replicas:
        handled = [
            e for e in replica.log_entries() if e.get("message", "").startswith("update handled")
        ]
        assert len(handled) >= 5, replica.log_path


def replies_left(user: TgUser) -> list[MessageView]:
    try:
        return replies(user.chat, timeout=0.5)
    except TimeoutError:
        return []
