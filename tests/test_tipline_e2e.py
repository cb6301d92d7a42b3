"""Users in the loop end to end: the real bot over HTTP against the local Bot API server.

Users press 👍/👎, ask what the bot cannot answer and send tips; moderators see them in
/inbox, answer, dismiss or mark spam (and undo it), and read /stats; /forget deletes a
user's traces; everyone else is refused the moderators' side with nothing changed.
"""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from telegram.ext import Application

from bot.tipline.recorder import BATCH_DELAY_SECONDS
from db.engine import make_engine, make_session_factory, unit_of_work
from db.models import AnswerFeedback, AskedQuestion, TiplineAsker, TiplineBlock, TiplineItem
from db.tipline import user_hash
from tests.botapi import FakeTelegram, MessageView, TgUser
from tests.e2e import copy_seeded_sqlite, running_bot

MAKIIVKA = "how many died at Makiivka?"
TIPS_PER_HOUR = 3


@pytest.fixture(scope="module")
def admin(tg: FakeTelegram) -> TgUser:
    return tg.add_user("Ada", username="ada_admin")


@pytest.fixture(scope="module")
def database(seeded_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    return copy_seeded_sqlite(seeded_sqlite_template, tmp_path_factory.mktemp("tipline"))


@pytest.fixture(scope="module")
def bot(
    tg: FakeTelegram, admin: TgUser, database: str
) -> Iterator[Application[Any, Any, Any, Any, Any, Any]]:
    with running_bot(
        tg, database, admin_ids=str(admin.id), tips_per_hour=TIPS_PER_HOUR
    ) as application:
        yield application


BLOCKED = "Forbidden: bot was blocked by the user"


@pytest.fixture(autouse=True)
def nothing_rejected(tg: FakeTelegram) -> Iterator[None]:
    """Telegram would take every call, but for the one answer to a user who blocked the bot
    (nobody can know beforehand)."""
    yield
    refused = [c for c in tg.rejected_calls() if c.description != BLOCKED]
    assert not refused, [(c.method, c.description) for c in refused]


@pytest.fixture(scope="module")
def moderator(tg: FakeTelegram, admin: TgUser, bot: Any) -> TgUser:
    mod = tg.add_user("Mo", username="mo_moderator")
    assert "is now a moderator" in say(admin, f"/grant {mod.id}").content
    return mod


def say(user: TgUser, text: str) -> MessageView:
    user.send(text)
    return user.chat.next_bot_message(timeout=10)


def no_more_messages(user: TgUser, wait: float = 1.0) -> bool:
    try:
        user.chat.next_bot_message(timeout=wait)
    except TimeoutError:
        return True
    return False


def press(user: TgUser, message: MessageView, button: str) -> MessageView:
    """Press a button and return the message as the bot left it (edited in place)."""
    user.press(message, button).wait_answer(timeout=10)
    return user.chat.next_bot_event(timeout=10, kinds=("edit",)).message


def count(database: str, query: Any) -> int:
    engine = make_engine(database)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            return int(session.scalar(query) or 0)
    finally:
        engine.dispose()


def hashed(database: str, user: TgUser) -> str:
    engine = make_engine(database)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            return user_hash(session, user.id)
    finally:
        engine.dispose()


def inbox_pages(moderator: TgUser) -> Iterator[MessageView]:
    """/inbox, then each of its pages in turn (the message is edited in place)."""
    page = say(moderator, "/inbox")
    yield page
    while "Next ▶" in page.button_texts:
        page = press(moderator, page, "Next ▶")
        yield page


def inbox_text(moderator: TgUser) -> str:
    return "\n\n".join(page.content for page in inbox_pages(moderator))


def inbox_item(moderator: TgUser, text: str) -> MessageView:
    """Open the inbox item whose button shows this text; its message."""
    for page in inbox_pages(moderator):
        button = next((b for b in page.button_texts if text in b), None)
        if button is not None:
            return press(moderator, page, button)
    raise LookupError(f"no inbox item shows {text!r}")


# ---------------------------------------------------------------- feedback


def test_thumbs_up_then_down_with_a_reason_is_one_vote_per_user_and_card(
    tg: FakeTelegram, bot: Any, database: str
) -> None:
    user = tg.add_user("Vera")
    card = say(user, MAKIIVKA)
    assert card.keyboard[-1][0].text == "👍" and card.keyboard[-1][1].text == "👎"

    answer = user.press(card, "👍").wait_answer(timeout=10)
    assert answer.text == "Thanks for the feedback."
    assert no_more_messages(user, 0.5)  # acknowledged, not a new message

    assert user.press(card, "👎").wait_answer(timeout=10).text == "Thanks for the feedback."
    asked = user.chat.next_bot_message(timeout=10)
    assert asked.content == "What was wrong with this answer?"
    assert asked.button_texts == ["Wrong event", "Missing a claim", "Outdated", "Other"]
    thanked = press(user, asked, "Missing a claim")
    assert thanked.content == "Thanks: noted as “Missing a claim”."

    mine = AnswerFeedback.user_hash == hashed(database, user)
    assert count(database, select(func.count()).where(mine)) == 1
    assert count(database, select(func.count()).where(mine, AnswerFeedback.vote == "down")) == 1
    assert count(database, select(func.count()).where(mine, AnswerFeedback.reason == "m")) == 1


def test_wrong_event_puts_the_question_in_the_inbox(
    tg: FakeTelegram, moderator: TgUser, database: str
) -> None:
    user = tg.add_user("Wanda")
    question = "makiivka barracks who owned the building"
    card = say(user, question)
    assert card.keyboard[-1][1].text == "👎"
    user.press(card, "👎").wait_answer(timeout=10)
    asked = user.chat.next_bot_message(timeout=10)
    thanked = press(user, asked, "Wrong event")
    assert "Moderators will see your question" in thanked.content
    item = inbox_item(moderator, "makiivka barracks")
    assert "1 asked" in item.content and question in item.content


# ---------------------------------------------------------------- unanswered questions


def test_three_people_ask_one_unanswered_question_and_all_three_get_the_answer_once(
    tg: FakeTelegram, moderator: TgUser, database: str
) -> None:
    askers = [tg.add_user(name) for name in ("Ann", "Bob", "Cat", "Dan")]
    questions = [
        "how many died in the Zorbville dam collapse?",
        "How many people died at the Zorbville dam collapse??",
        "zorbville dam collapse: how many died",
        "how many died in zorbville dam collapse",
    ]
    for user, question in zip(askers, questions, strict=True):
        reply = say(user, question)
        assert "Moderators will see your question" in reply.content, reply.content
    # Dan blocks the bot before the answer comes: he is skipped, nobody else is.
    askers[3].block_bot()

    inbox = say(moderator, "/inbox")
    assert "4 asked" in inbox.content
    assert "Zorbville dam collapse" in inbox.content
    assert sum("Zorbville" in b for b in inbox.button_texts) == 1  # one item, merged

    item = press(moderator, inbox, next(b for b in inbox.button_texts if "Zorbville" in b))
    assert item.button_texts[:4] == ["Answer with event…", "New event", "Dismiss", "Spam"]
    item_id = int(item.content.split("#", 1)[1].split(" ", 1)[0])
    choices = press(moderator, item, "Answer with event…")
    assert f"/answer {item_id} SLUG" in choices.content

    preview = say(moderator, f"/answer {item_id} makiivka-strike")
    assert "4 people who asked will get its card" in preview.content
    assert "Zorbville dam collapse" in preview.content
    done = press(moderator, preview, "✅ Answer")
    assert f"Answered #{item_id} with Strike on Russian troops in Makiivka" in done.content
    assert "3 askers told" in done.content
    assert [c.description for c in tg.rejected_calls()] == [BLOCKED]

    for user, question in zip(askers[:3], questions, strict=False):
        told = user.chat.next_bot_message(timeout=10)
        assert told.content.startswith(
            f"A moderator has answered your question “{questions[0]}”"
        ), told.content
        assert "Strike on Russian troops in Makiivka" in told.content
        assert told.keyboard[-1][0].text == "👍"
        assert no_more_messages(user, 0.5), question
    # Nothing is sent twice: another answer round finds nobody left to tell.
    assert "Zorbville" not in inbox_text(moderator)
    assert all(no_more_messages(user, 0.3) for user in askers[:3])
    ids_kept = select(func.count()).where(TiplineAsker.item_id == item_id)
    assert count(database, ids_kept.where(TiplineAsker.user_id.is_not(None))) == 0


def test_none_of_these_puts_the_question_in_the_inbox(
    tg: FakeTelegram, moderator: TgUser, database: str
) -> None:
    user = tg.add_user("Nell")
    offer = say(user, "strike")
    if "None of these" not in offer.button_texts:
        pytest.skip("the seed data answers 'strike' directly")
    thanked = press(user, offer, "None of these")
    assert "Moderators will see your question" in thanked.content
    assert "1 asked" in inbox_item(moderator, "strike").content


# ---------------------------------------------------------------- tips


def test_a_tip_a_forward_a_link_and_a_captioned_photo_reach_the_inbox(
    tg: FakeTelegram, moderator: TgUser
) -> None:
    user = tg.add_user("Tia")
    assert say(user, "/tip the Qwerton depot burned <b>at night</b>").content == (
        "Thanks, your tip went to the moderators."
    )
    source = tg.add_user("Channel Person", username="chan_person")
    origin = {"type": "user", "date": int(time.time()), "sender_user": source.api}
    tg.send_message(user, "Qwerton: 40 trucks seen on the road", forward_origin=origin)
    assert user.chat.next_bot_message(timeout=10).content.startswith("Thanks, your tip")
    tg.send_photo(user, b"\xff\xd8\xff photo bytes", caption="Qwerton bridge after the strike")
    assert user.chat.next_bot_message(timeout=10).content.startswith("Thanks, your tip")

    inbox = inbox_text(moderator)
    assert "Qwerton depot burned &lt;b&gt;at night&lt;/b&gt;" not in inbox  # shown as text
    assert "Qwerton depot burned <b>at night</b>" in inbox
    assert "Qwerton: 40 trucks" in inbox
    assert "forwarded from Channel Person (@chan_person)" in inbox
    assert "Qwerton bridge after the strike" in inbox

    other = tg.add_user("Lou")
    assert say(other, "look https://example.org/qwerton-video").content.startswith(
        "Thanks, your tip"
    )
    assert "https://example.org/qwerton-video" in inbox_text(moderator)
    # A question without a link stays a question.
    assert "Thanks, your tip" not in say(other, MAKIIVKA).content


def test_the_tip_limit_is_per_user_and_says_so(tg: FakeTelegram, bot: Any) -> None:
    user = tg.add_user("Hal")
    for n in range(TIPS_PER_HOUR):
        assert say(user, f"/tip limit tip {n}").content.startswith("Thanks, your tip")
    refused = say(user, "/tip one more")
    assert refused.content == (
        f"You have sent {TIPS_PER_HOUR} tips in the last hour, the most the bot takes: "
        "please send more later."
    )
    assert say(tg.add_user("Ida"), "/tip another person").content.startswith("Thanks")


def test_spam_stops_a_users_tips_and_undo_lifts_it(
    tg: FakeTelegram, moderator: TgUser, database: str
) -> None:
    spammer = tg.add_user("Sam")
    assert say(spammer, "/tip buy cheap followers now").content.startswith("Thanks")
    item = inbox_item(moderator, "buy cheap followers")
    done = press(moderator, item, "Spam")
    assert "Marked #" in done.content and "as spam" in done.content
    assert "buy cheap followers" not in inbox_text(moderator)
    refused = say(spammer, "/tip more followers")
    assert refused.content.startswith("Your tips are not being taken until")
    blocks = select(func.count()).where(TiplineBlock.user_hash == hashed(database, spammer))
    assert count(database, blocks) == 1

    assert "Undid your spam marking" in say(moderator, "/undo").content
    assert count(database, blocks) == 0
    assert "buy cheap followers" in inbox_text(moderator)
    assert say(spammer, "/tip sorry, a real tip").content.startswith("Thanks")


def test_dismiss_asks_why_and_is_audited(tg: FakeTelegram, moderator: TgUser) -> None:
    user = tg.add_user("Dee")
    say(user, "/tip the moon is made of cheese")
    item = inbox_item(moderator, "moon is made of cheese")
    reasons = press(moderator, item, "Dismiss")
    assert "Why dismiss" in reasons.content and "Off topic" in reasons.button_texts
    done = press(moderator, reasons, "Off topic")
    assert "Dismissed #" in done.content and "Off topic" in done.content
    assert "moon is made of cheese" not in inbox_text(moderator)
    assert "Undid your dismissal" in say(moderator, "/undo").content
    assert "moon is made of cheese" in inbox_text(moderator)


# ---------------------------------------------------------------- privacy and permissions


def test_forget_deletes_what_the_bot_keeps_about_the_user(
    tg: FakeTelegram, moderator: TgUser, database: str
) -> None:
    user = tg.add_user("Fay")
    card = say(user, MAKIIVKA)
    user.press(card, "👍").wait_answer(timeout=10)
    say(user, "/tip Flimton warehouse fire")
    say(user, "how many died in the Glorpton flood")
    mine = hashed(database, user)
    assert count(database, select(func.count()).where(TiplineAsker.user_hash == mine)) == 2

    reply = say(user, "/forget")
    assert reply.content.startswith("Done: the bot no longer keeps anything about you")
    assert "2 inbox entries and 1 feedback vote deleted" in reply.content
    assert count(database, select(func.count()).where(TiplineAsker.user_hash == mine)) == 0
    assert count(database, select(func.count()).where(AnswerFeedback.user_hash == mine)) == 0
    inbox = inbox_text(moderator)
    assert "Flimton" not in inbox and "Glorpton" not in inbox


def tipline_rows(database: str) -> tuple[int, ...]:
    return tuple(
        count(database, select(func.count()).select_from(table))
        for table in (TiplineItem, TiplineAsker, AnswerFeedback, TiplineBlock, AskedQuestion)
    )


def settled_tipline_rows(database: str) -> tuple[int, ...]:
    """The counts once the questions earlier tests asked are recorded: they are written in
    batches after their answers (`bot/tipline/recorder.py`), so one may still be on its way."""
    rows = tipline_rows(database)
    for _ in range(20):
        time.sleep(2 * BATCH_DELAY_SECONDS)
        rows, before = tipline_rows(database), rows
        if rows == before:
            return rows
    raise AssertionError(f"the tipline's tables never settled: {rows}")


@pytest.mark.parametrize("command", ["/inbox", "/stats", "/stats 30", "/answer 1 makiivka-strike"])
def test_a_non_moderator_is_refused_the_inbox_and_figures_with_nothing_changed(
    tg: FakeTelegram, bot: Any, database: str, command: str
) -> None:
    outsider = tg.add_user("Olga")
    before = settled_tipline_rows(database)
    assert say(outsider, command).content == "Sorry, only moderators can do that."
    assert no_more_messages(outsider, 0.5)
    assert tipline_rows(database) == before


# ---------------------------------------------------------------- figures


def test_stats_show_what_happened(seeded_sqlite_template: Path, tmp_path: Path) -> None:
    """On a fresh database: the figures count exactly what this test did."""
    database = copy_seeded_sqlite(seeded_sqlite_template, tmp_path)
    with FakeTelegram() as tg:
        admin = tg.add_user("Stat Admin")
        with running_bot(tg, database, admin_ids=str(admin.id)):
            users = [tg.add_user(name) for name in ("Uno", "Duo", "Tre")]
            for user in users[:2]:
                card = say(user, MAKIIVKA)
                user.press(card, "👍" if user is users[0] else "👎").wait_answer(timeout=10)
            say(users[2], "how many died in the Blorpville fire")
            say(users[2], "/tip Blorpville fire photos")
            stats = say(admin, "/stats today")
            assert stats.content.splitlines()[:4] == [
                "Figures: today",
                "Questions asked: 3",
                "Answered: 2 (67%) · offered a choice: 0 (0%) · no match: 1 (33%)",
                "Tips received: 1",
            ]
            title = "Strike on Russian troops in Makiivka, New Year's Day 2023"
            assert f"• {title}: 1 / 1" in stats.content
            assert f"Most asked events\n• {title}: 2" in stats.content
            assert "“how many died in the Blorpville fire”: 1" in stats.content
            week = press(admin, stats, "7 days")
            assert week.content.startswith("Figures: 7 days\nQuestions asked: 3")


def test_answering_with_an_alias_teaches_the_matcher_and_undo_takes_both_back(
    tg: FakeTelegram, moderator: TgUser
) -> None:
    asker = tg.add_user("Abe")
    question = "Grimbly barracks explosion"
    assert "Moderators will see your question" in say(asker, question).content
    item = inbox_item(moderator, "Grimbly barracks")
    choices = press(moderator, item, "Answer with event…")
    # The events the matcher finds for the question, else the recently changed ones.
    event_button = choices.button_texts[0]
    preview = press(moderator, choices, event_button)
    title = preview.content.split(" with ", 1)[1].split("?\n", 1)[0]
    assert event_button.rstrip("…") in title
    assert "add “Grimbly barracks explosion” as a name" in preview.content
    done = press(moderator, preview, next(b for b in preview.button_texts if "alias" in b))
    assert "Added “Grimbly barracks explosion” as a name of the event" in done.content
    assert "1 asker told" in done.content
    assert title in asker.chat.next_bot_message(timeout=10).content
    # The next person asking it gets the card at once.
    assert title in say(tg.add_user("Bea"), "grimbly barracks explosion").content

    assert "Undid your answer from the inbox (2 records)" in say(moderator, "/undo").content
    assert "Grimbly barracks" in inbox_text(moderator)
    assert "Moderators will see" in say(tg.add_user("Cal"), "grimbly barracks explosion").content


def test_feedback_is_acknowledged_in_the_readers_language(tg: FakeTelegram, bot: Any) -> None:
    user = tg.add_user("Oksana", language_code="uk")
    card = say(user, MAKIIVKA)
    assert user.press(card, "👎").wait_answer(timeout=10).text == "Дякуємо за відгук."
    asked = user.chat.next_bot_message(timeout=10)
    assert asked.content == "Що було не так із цією відповіддю?"
    assert press(user, asked, "Застаріло").content == "Дякуємо: позначено як «Застаріло»."
    assert say(user, "/tip відео з Макіївки").content == (
        "Дякуємо, вашу підказку передано модераторам."
    )
