"""A preview made through one bot process is saved through another, exactly once.

claimbot runs as several replicas behind a round-robin proxy, so the Save press on a
preview can reach a process other than the one that showed it. Here two real bot
instances share one database, each talking to a Bot API server of its own (as two
replicas see the same Telegram); both servers number their users from 10001, so the
admin and the moderator have the same Telegram ids on both.
"""

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from db.engine import make_engine, make_session_factory, unit_of_work
from db.models import AuditEntry, PendingChange
from tests.botapi import FakeTelegram, MessageView, TgUser
from tests.e2e import copy_seeded_sqlite, running_bot

ADMIN_IDS = "10001"  # the first user of each server


@pytest.fixture
def servers() -> Iterator[tuple[FakeTelegram, FakeTelegram]]:
    # The two servers stand for one Telegram, which numbers a bot's updates only once.
    with FakeTelegram() as tg_a, FakeTelegram(first_update_id=900_000) as tg_b:
        yield tg_a, tg_b
        tg_a.assert_no_rejected_calls()
        tg_b.assert_no_rejected_calls()


def counts(url: str) -> tuple[int, int]:
    """How many times an event was hidden (audited /delete rows), and pending rows left."""
    engine = make_engine(url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            deletes = select(func.count(AuditEntry.id)).where(AuditEntry.action == "delete")
            pending = select(func.count(PendingChange.id))
            return session.scalar(deletes) or 0, session.scalar(pending) or 0
    finally:
        engine.dispose()


def say(user: TgUser, text: str) -> MessageView:
    user.send(text)
    return user.chat.next_bot_message(timeout=10)


def mirror(tg: FakeTelegram, user: TgUser, preview: MessageView) -> MessageView:
    """The preview as it would be in the one real Telegram: its text and exactly its buttons
    (callback data included), sent into the user's chat on B's server through B's Bot API."""
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.callback_data) for b in preview.buttons]]
    )

    async def send() -> None:
        async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as bot:
            await bot.send_message(user.id, preview.content, reply_markup=markup)

    asyncio.run(send())
    return user.chat.next_bot_message(timeout=10)


def test_a_preview_shown_by_one_process_is_saved_by_another_exactly_once(
    servers: tuple[FakeTelegram, FakeTelegram],
    seeded_sqlite_template: Path,
    tmp_path: Path,
) -> None:
    """Instance A shows the /delete preview; the press on its "Hide it" button (the same
    callback data, `mk:<pending id>`) is delivered to instance B, as the proxy may route it.
    The press is simulated faithfully: A's preview message, text and buttons unchanged, is
    put into the moderator's chat on B's server, and the moderator presses it there, so B
    receives exactly the callback query Telegram would send; B has never seen the preview
    (its process memory holds nothing about it). Then the original button on A and the
    button on B are pressed again: both are refused and nothing is applied twice."""
    tg_a, tg_b = servers
    admin_a, admin_b = tg_a.add_user("Ada"), tg_b.add_user("Ada")
    mod_a, mod_b = tg_a.add_user("Mo"), tg_b.add_user("Mo")
    assert (admin_a.id, mod_a.id) == (admin_b.id, mod_b.id)
    database = copy_seeded_sqlite(seeded_sqlite_template, tmp_path)
    with (
        running_bot(tg_a, database, admin_ids=ADMIN_IDS),
        running_bot(tg_b, database, admin_ids=ADMIN_IDS),
    ):
        assert "is now a moderator" in say(admin_a, f"/grant {mod_a.id}").content
        reader = tg_b.add_user("Rita")
        assert "Kyiv" in say(reader, "/event kyiv-drone-attack").content

        preview = say(mod_a, "/delete kyiv-drone-attack")
        assert "hidden: False → True" in preview.content
        assert re.fullmatch(r"mk:\d+", preview.button("🗑 Hide it").callback_data or "")
        assert counts(database) == (0, 1)  # the preview wrote only its pending row

        on_b = mirror(tg_b, mod_b, preview)
        mod_b.press(on_b, "🗑 Hide it").wait_answer(timeout=10)
        saved = mod_b.chat.next_bot_event(timeout=10, kinds=("edit",)).message
        assert "Hid event kyiv-drone-attack" in saved.content
        assert "There is no event" in say(reader, "/event kyiv-drone-attack").content
        assert counts(database) == (1, 0)

        again_on_a = mod_a.press(preview, "🗑 Hide it").wait_answer(timeout=10)
        assert "already saved, cancelled or has expired" in (again_on_a.text or "")
        again_on_b = mod_b.press(mirror(tg_b, mod_b, preview), "🗑 Hide it").wait_answer(10)
        assert "already saved" in (again_on_b.text or "")
        assert counts(database) == (1, 0)
