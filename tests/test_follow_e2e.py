"""Following events end to end: the real bot over HTTP against the local Bot API server.

Users follow an event from its card; a moderator changes its claims; the delivery worker
tells each follower once, after a short quiet period (1 s here), in one message per
event, and nothing for an undone or a silent change. After each test the server confirms
the bot never sent anything Telegram would reject (but to a user who blocked it).
"""

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from db.engine import make_engine, make_session_factory, unit_of_work
from db.models import Follow
from tests.botapi import FakeTelegram, MessageView, TgChat, TgUser
from tests.e2e import copy_seeded_sqlite, running_bot

QUIET_SECONDS = 1.0
# Long enough for a notification to be due, prepared and sent (polled every 0.5 s).
TOLD_WITHIN = 10.0
NOTHING_FOR = QUIET_SECONDS + 2.5
QUESTION = "how many died at Makiivka?"


@pytest.fixture(scope="module")
def admin(tg: FakeTelegram) -> TgUser:
    return tg.add_user("Ada", username="ada_admin")


@pytest.fixture(scope="module")
def database(seeded_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    return copy_seeded_sqlite(seeded_sqlite_template, tmp_path_factory.mktemp("follow"))


@pytest.fixture(scope="module")
def bot(tg: FakeTelegram, admin: TgUser, database: str) -> Iterator[Any]:
    settings = {"admin_ids": str(admin.id), "follow_quiet_seconds": QUIET_SECONDS}
    with running_bot(tg, database, **settings) as application:
        yield application


@pytest.fixture(autouse=True)
def nothing_rejected(tg: FakeTelegram, bot: Any) -> Iterator[None]:
    yield
    # A user who blocked the bot refuses messages (403): that is how the bot learns it.
    refused = [c for c in tg.rejected_calls() if c.status != 403]
    assert not refused, [(c.method, c.description, c.params) for c in refused]


def say(user: TgUser, text: str) -> MessageView:
    user.send(text)
    return user.chat.next_bot_message(timeout=10)


def press(user: TgUser, message: MessageView, button: str) -> str:
    """Press a button; the toast it answers with."""
    answer = user.press(message, button).wait_answer(timeout=10)
    return str(answer.text or "")


def follow(user: TgUser) -> None:
    card = say(user, QUESTION)
    button = card.keyboard[-1][-1]
    assert button.callback_data == "fo:makiivka-strike"
    press(user, card, button.text)


def notifications(chat: TgChat, within: float) -> list[MessageView]:
    """The notifications a chat receives within `within` seconds."""
    found: list[MessageView] = []
    deadline = time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = chat.next_bot_message(timeout=left)
        except TimeoutError:
            break
        if message.content.startswith("🔔"):
            found.append(message)
    return found


def first_notification(chat: TgChat) -> MessageView:
    found = notifications_until_one(chat)
    assert found is not None, "no notification arrived"
    return found


def notifications_until_one(chat: TgChat) -> MessageView | None:
    deadline = time.monotonic() + TOLD_WITHIN
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = chat.next_bot_message(timeout=left)
        except TimeoutError:
            return None
        if message.content.startswith("🔔"):
            return message
    return None


def follows_of(database: str, chat_id: int) -> int:
    engine = make_engine(database)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            count = select(func.count()).select_from(Follow).where(Follow.chat_id == chat_id)
            return int(session.scalar(count) or 0)
    finally:
        engine.dispose()


def test_follow_and_unfollow_from_the_card_and_from_following(tg: FakeTelegram, bot: Any) -> None:
    user = tg.add_user("Fiona")
    assert "You follow no events" in say(user, "/following").content
    card = say(user, QUESTION)
    assert press(user, card, "🔔 Follow").startswith("Following")
    edited = user.chat.next_bot_event(timeout=10, kinds=("edit",)).message
    assert edited.keyboard[-1][-1].text == "🔕 Unfollow"
    assert press(user, edited, "🔕 Unfollow").startswith("Unfollowed")

    follow(user)
    again = say(user, QUESTION)  # a card shown to a follower offers Unfollow
    assert again.keyboard[-1][-1].text == "🔕 Unfollow"
    listing = say(user, "/following")
    assert "Strike on Russian troops in Makiivka" in listing.content
    assert press(user, listing, listing.buttons[0].text).startswith("Unfollowed")
    assert "You follow no events" in say(user, "/following").content


def test_a_superseding_change_reaches_two_followers_once_each(
    tg: FakeTelegram, admin: TgUser
) -> None:
    first, bystander = tg.add_user("Ann"), tg.add_user("Cy")
    second = tg.add_user("Bohdan", language_code="uk")  # told in Ukrainian
    third = tg.add_user("Olena", language_code="en")
    say(third, "/language uk")  # her choice, not her Telegram's language, is kept
    follow(first)
    follow(second)
    follow(third)
    say(bystander, QUESTION)
    added = say(
        admin,
        '/addclaim event=makiivka-strike claimant="Russian Ministry of Defence" metric=killed '
        'figure=120 quote="Test figure." publisher="Example News" key=makiivka-test-mod-120',
    )
    assert "Added" in added.content or "✅" in added.content, added.content
    saved = say(admin, "/supersede makiivka-russian-mod-89 makiivka-test-mod-120")
    assert "✅" in saved.content, saved.content
    messages = []
    in_ukrainian = (
        "Удар по російських військових у Макіївці",
        "Russian MoD: загинули 120 (раніше 89)",
        ["Відкрити картку", "🔕 Не стежити"],
    )
    for chat, (title, line, buttons) in (
        (
            first.chat,
            (
                "Strike on Russian troops in Makiivka",
                "Russian MoD: 120 killed (earlier 89)",
                ["Open the card", "🔕 Unfollow"],
            ),
        ),
        (second.chat, in_ukrainian),
        (third.chat, in_ukrainian),
    ):
        told = first_notification(chat)
        messages.append(told)
        assert title in told.content, told.content
        # Added and superseded within the quiet period: one message, one line.
        assert line in told.content, told.content
        assert told.content.count("\n") == 1, told.content
        assert told.button_texts == buttons
        assert notifications(chat, NOTHING_FOR) == []  # once
    assert notifications(bystander.chat, 0.5) == []
    # The button opens the full card.
    press(first, messages[0], "Open the card")
    assert first.chat.next_bot_message(timeout=10).content.startswith("Strike on Russian")


def test_changes_within_the_quiet_period_make_one_message(tg: FakeTelegram, admin: TgUser) -> None:
    user = tg.add_user("Dora")
    follow(user)
    say(admin, '/status makiivka-russian-mod-63 misleading reason="Test one."')
    say(admin, "/retract makiivka-russian-mod-six-himars-rockets-fired")
    told = first_notification(user.chat)
    assert "🟡 misleading (was 🟠 disputed)" in told.content, told.content
    assert "Retracted: Russian MoD: 6 munitions fired" in told.content, told.content
    assert notifications(user.chat, NOTHING_FOR) == []


def test_an_undone_change_sends_nothing(tg: FakeTelegram, admin: TgUser) -> None:
    user = tg.add_user("Eve")
    follow(user)
    say(admin, '/status makiivka-russian-mod-two-rockets-shot-down misleading reason="Oops."')
    assert "Undid" in say(admin, "/undo").content
    assert notifications(user.chat, NOTHING_FOR + 1) == []


def test_a_silent_change_sends_nothing(tg: FakeTelegram, admin: TgUser) -> None:
    user = tg.add_user("Gil")
    follow(user)
    saved = say(
        admin, '/status makiivka-russian-mod-us-made-himars misleading reason="Typo." silent=yes'
    )
    assert "Silent" in saved.content, saved.content
    assert notifications(user.chat, NOTHING_FOR + 1) == []


def test_a_user_who_blocked_the_bot_is_unfollowed_and_a_muted_one_told_nothing(
    tg: FakeTelegram, admin: TgUser, database: str
) -> None:
    blocker, muted, told = tg.add_user("Hal"), tg.add_user("Ivy"), tg.add_user("Jo")
    for user in (blocker, muted, told):
        follow(user)
    assert "Muted" in say(muted, "/mute").content
    blocker.block_bot()
    say(admin, "/retract makiivka-russian-mod-two-rockets-shot-down")
    assert "Retracted" in first_notification(told.chat).content
    deadline = time.monotonic() + TOLD_WITHIN
    while follows_of(database, blocker.id):
        assert time.monotonic() < deadline, "the blocked user is still following"
        time.sleep(0.1)
    assert notifications(muted.chat, 0.5) == []
    assert follows_of(database, muted.id) == 1  # muted, not unfollowed
    assert "back on" in say(muted, "/unmute").content


def test_only_a_group_admin_makes_the_group_follow(tg: FakeTelegram) -> None:
    boss, member = tg.add_user("Kim"), tg.add_user("Lou")
    group = tg.add_group("Newsroom", [boss, member], admins=[boss])
    member.send(f"@{tg.bot_username} {QUESTION}", chat=group)
    card = group.next_bot_message(timeout=10)
    assert "admins" in press(member, card, "🔔 Follow")
    assert press(boss, card, "🔔 Follow").startswith("Following")
    boss.send("/following", chat=group)
    assert "Makiivka" in group.next_bot_message(timeout=10).content


def test_a_preview_says_how_many_followers_saving_will_notify(
    tg: FakeTelegram, admin: TgUser
) -> None:
    follow(tg.add_user("Mia"))
    preview = say(admin, "/delete makiivka-russian-mod-63")
    assert "Preview of /delete" in preview.content, preview.content
    told = re.search(r"Saving this will notify ([\d,]+) followers?", preview.content)
    assert told and int(told.group(1).replace(",", "")) >= 1, preview.content
    silent = say(admin, "/delete makiivka-russian-mod-63 silent=yes")
    assert "will notify" not in silent.content and "Silent" in silent.content, silent.content
