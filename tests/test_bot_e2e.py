"""The Telegram bot end to end: the real Application over HTTP against the local test server.

Every test acts as users in private chats and a group, and asserts on what they see.
After each test the server confirms the bot never sent anything Telegram would reject
(bad HTML, over-long text, over-long callback data).
"""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.answering import AnswerService
from bot.tg import callbacks
from bot.tg.callbacks import Prefix
from tests.botapi import FakeTelegram, MessageView, TgChat, TgUser
from tests.e2e import copy_seeded_sqlite

TELEGRAM_LIMIT = 4096


# Every call the bot makes must be one Telegram would take.
pytestmark = pytest.mark.usefixtures("nothing_rejected")


@pytest.fixture
def alice(tg: FakeTelegram, bot: Any) -> TgUser:
    return tg.add_user("Alice")


def ask(user: TgUser, text: str) -> list[MessageView]:
    """Send a message and collect every reply the bot sends to it."""
    user.send(text)
    return replies_of(user)


def replies_of(user: TgUser) -> list[MessageView]:
    return replies_in(user.chat)


def replies_in(chat: TgChat) -> list[MessageView]:
    """The next bot message in a chat and any that follow it at once."""
    replies = [chat.next_bot_message(timeout=10)]
    while True:
        try:
            replies.append(chat.next_bot_message(timeout=0.5))
        except TimeoutError:
            return replies


def joined(messages: list[MessageView]) -> str:
    return "\n".join(m.content for m in messages)


def page_through(
    user: TgUser, first: MessageView, next_button: str = "Next ▶"
) -> list[MessageView]:
    """Every page of a card, pressing Next ▶ until the last: each page edits the same message."""
    pages = [first]
    while next_button in pages[-1].button_texts:
        assert len(pages) < 20, "the Next button never ends"
        user.press(pages[-1], next_button).wait_answer()
        event = user.chat.next_bot_event(timeout=10)
        assert event.kind == "edit" and event.message.message_id == first.message_id
        pages.append(event.message)
    return pages


def test_a_question_gets_the_card_with_every_claim(alice: TgUser) -> None:
    replies = ask(alice, "how many died at Makiivka?")
    assert len(replies) == 1  # one message, paged with buttons
    first = replies[0]
    # A private chat holds only this conversation: no quote, and no preview of a source link.
    assert first.reply_to_message_id is None
    assert first.link_preview_options == {"is_disabled": True}
    lines = first.content.splitlines()
    assert "Makiivka" in lines[0] and lines[1] == "1 Jan 2023 · Makiivka, Donetsk Oblast, Ukraine"
    # The first lines answer the question, per claimant, before any detail.
    assert lines[2].startswith("Killed: 🟠 89 (Russian MoD; earlier 63) · 🟠 about 400")
    assert len(first.content) < 1600  # one phone screen
    assert "◀ Previous" not in first.button_texts
    pages = page_through(alice, first)
    assert len(pages) > 1
    text = joined(pages)
    for figure in ("63", "89", "400", "dozens", "in the hundreds", "more than 100"):
        assert figure in text
    assert "63 Russian servicemen (2 Jan 2023)" in text and "→ 89 Russian servicemen" in text
    assert "superseded" in text
    assert "🟠 disputed: both sides dispute the toll" in text and "⚪ unverified" in text
    # Sources are named by outlet and date or headline, never by file.
    assert "bne IntelliNews, 9 Jan 2023 (as “some 400”)" in text and ".txt" not in text
    assert "Other statements" in text and "Karasin" in text
    assert "Russian Ministry of Defence (Russia)" in text
    for number, page in enumerate(pages[1:], start=2):
        # Each later page says which card and which page it is.
        assert page.content.splitlines()[0].endswith(f"({number}/{len(pages)})")
        assert "Makiivka" in page.content.splitlines()[0]
    assert "/about" in pages[-1].content
    assert "Next ▶" not in pages[-1].button_texts
    # The related Kramatorsk strike is a button on every page.
    assert all(any("Kramatorsk" in b for b in page.button_texts) for page in pages)


def test_about_and_assessments_are_pages_of_the_same_message(alice: TgUser) -> None:
    first = ask(alice, "/event kramatorsk-strike")[0]
    assert "🔴 false: Institute of War; no deaths found on site, 8 Jan" in first.content
    assert "🔴 false: shown untrue" in first.content  # the legend
    alice.press(first, "⚖️ Assessments").wait_answer()
    assessments = alice.chat.next_bot_event(timeout=10)
    assert assessments.kind == "edit" and assessments.message.message_id == first.message_id
    assert "verdict of Institute of War" in assessments.message.content
    assert "this claim is false" in assessments.message.content
    alice.press(assessments.message, "◀ Back to the claims").wait_answer()
    back = alice.chat.next_bot_event(timeout=10)
    assert back.message.content == first.content
    alice.press(back.message, "ℹ️ About this event").wait_answer()
    about = alice.chat.next_bot_event(timeout=10).message
    assert about.message_id == first.message_id
    assert "Ukraine denied it" in about.content  # the event's summary
    assert "On the dates:" in about.content
    assert (
        "bne IntelliNews, “Russia claims to kill 600 Ukrainian soldiers in retaliation for "
        "Ukraine’s New Year’s Eve missile strike on Russian barracks”, 9 Jan 2023, no URL given"
    ) in about.content
    assert "◀ Back to the claims" in about.button_texts


def test_previous_goes_back_and_every_page_is_within_the_limit(alice: TgUser) -> None:
    first = ask(alice, "/event kramatorsk-strike")[0]
    pages = page_through(alice, first)
    assert len(pages) >= 2
    assert all(len(page.content) <= TELEGRAM_LIMIT for page in pages)
    back = [pages[-1]]
    while "◀ Previous" in back[-1].button_texts:
        assert len(back) <= len(pages)
        alice.press(back[-1], "◀ Previous").wait_answer()
        event = alice.chat.next_bot_event(timeout=10)
        assert event.kind == "edit" and event.message.message_id == first.message_id
        back.append(event.message)
    assert [page.content for page in reversed(back)] == [page.content for page in pages]
    assert alice.tg.message(alice.chat, first.message_id).content == first.content


def test_a_page_button_of_a_hidden_event_says_so(
    tg: FakeTelegram, alice: TgUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ask(alice, "/event makiivka-strike")[0]
    with monkeypatch.context() as patch:
        # As if a moderator hid the event after the card was sent: it is not found.
        show = AnswerService.show_event
        patch.setattr(
            AnswerService,
            "show_event",
            lambda self, slug, language: show(self, "no-such", language),
        )
        answer = alice.press(first, "Next ▶").wait_answer(timeout=10)
    assert answer.text is not None and "no longer available" in answer.text
    with pytest.raises(TimeoutError):
        alice.chat.next_bot_event(timeout=1)


def test_typo_and_cyrillic_questions_reach_the_same_event(alice: TgUser) -> None:
    # The Ukrainian question gets the card in Ukrainian, its title too.
    for question, place in (
        ("makeevka death toll", "Makiivka"),
        ("скільки загинуло в Макіївці?", "Макіївці"),
    ):
        replies = ask(alice, question)
        assert place in replies[0].content.splitlines()[0], question


def test_related_event_button_opens_its_card(alice: TgUser) -> None:
    replies = ask(alice, "makiivka")
    assert len(replies) == 1
    button = next(b for b in replies[-1].button_texts if "Kramatorsk" in b)
    alice.press(replies[-1], button).wait_answer()
    card = replies_of(alice)
    assert "Kramatorsk" in card[0].content.splitlines()[0]
    assert "more than 600" in joined(card)
    # The Makiivka card the button was on is still there.
    assert alice.tg.message(alice.chat, replies[-1].message_id).content == replies[-1].content


def test_no_match_says_so_and_offers_the_event_list(alice: TgUser) -> None:
    replies = ask(alice, "what is the capital of France")
    assert len(replies) == 1
    assert "no event that matches" in replies[0].content
    press = alice.press(replies[0], "Browse all events")
    press.wait_answer()
    edited = alice.chat.next_bot_event(timeout=10)
    assert edited.kind == "edit"
    assert "Events" in edited.message.content


def test_ambiguous_question_asks_with_buttons_and_shows_the_chosen_card(alice: TgUser) -> None:
    replies = ask(alice, "how many were killed?")
    prompt = replies[0]
    assert "more than one event" in prompt.content
    assert len(prompt.buttons) >= 2
    choice = next(
        b
        for b in prompt.buttons
        if callbacks.parse_slug(b.callback_data, Prefix.SHOW_EVENT) == "kramatorsk-strike"
    )
    alice.press(prompt, choice.text).wait_answer()
    event = alice.chat.next_bot_event(timeout=10)
    assert event.kind == "edit" and event.message.message_id == prompt.message_id
    assert "Kramatorsk" in event.message.content.splitlines()[0]
    assert "more than 600" in joined([event.message, *alice.chat.bot_messages()[-3:]])


def test_an_offer_ends_with_none_of_these_which_thanks_the_user(alice: TgUser) -> None:
    prompt = ask(alice, "how many were killed?")[0]
    assert prompt.button_texts[-1] == "None of these"
    assert len(prompt.buttons) <= 4  # at most three events, then "None of these"
    alice.press(prompt, "None of these").wait_answer()
    event = alice.chat.next_bot_event(timeout=10)
    assert event.kind == "edit" and event.message.message_id == prompt.message_id
    assert "Thank you" in event.message.content
    assert not event.message.buttons


def test_start_offers_example_questions_that_answer(alice: TgUser) -> None:
    replies = ask(alice, "/start")
    assert "every" in replies[0].content
    assert len(replies[0].buttons) == 3
    alice.press(replies[0], replies[0].buttons[0].text).wait_answer()
    answer = alice.chat.next_bot_message(timeout=10)
    assert "Makiivka" in answer.content


def test_events_are_paginated_with_buttons(alice: TgUser) -> None:
    page = ask(alice, "/events")[0]
    assert "page 1 of 2" in page.content
    titles_first = page.button_texts
    alice.press(page, "Next ▶").wait_answer()
    edited = alice.chat.next_bot_event(timeout=10).message
    assert "page 2 of 2" in edited.content
    assert set(edited.button_texts).isdisjoint(set(titles_first) - {"Next ▶", "◀ Previous"})
    assert "◀ Previous" in edited.button_texts


def test_event_command_shows_a_card_or_suggests_the_nearest(alice: TgUser) -> None:
    assert "more than 600" in joined(ask(alice, "/event kramatorsk-strike"))
    reply = ask(alice, "/event kramatorsk-strik")[0]
    assert "There is no event kramatorsk-strik" in reply.content
    assert any("Kramatorsk" in b for b in reply.button_texts)
    assert "Usage: /event SLUG" in ask(alice, "/event")[0].content


def test_sources_about_and_help(alice: TgUser) -> None:
    sources = joined(ask(alice, "/sources"))
    assert "Russian Ministry of Defence — government, Russia" in sources
    assert "bne IntelliNews — news outlet, independent" in sources
    about = ask(alice, "/about")[0].content
    for status in ("unverified", "disputed", "confirmed", "false", "misleading"):
        assert status in about
    assert "/events" in ask(alice, "/help")[0].content


def test_command_menus_are_set(tg: FakeTelegram, bot: Any) -> None:
    private = [c["command"] for c in tg.commands()]
    assert {"start", "help", "events", "event", "sources", "about"} <= set(private)
    group = [c["command"] for c in tg.commands({"type": "all_group_chats"})]
    assert "ask" in group


def test_html_in_questions_is_escaped_and_odd_input_is_answered(alice: TgUser) -> None:
    for text in ("<b>makiivka</b> & <script>", "🙂" * 3000, "\u202e\u0000 ̶ ̶"):
        replies = ask(alice, text)
        assert replies, text
        assert all(len(m.content) <= TELEGRAM_LIMIT for m in replies)


def test_groups_answer_ask_mentions_and_replies_only(tg: FakeTelegram, bot: Any) -> None:
    bob, carol = tg.add_user("Bob"), tg.add_user("Carol")
    group = tg.add_group("News chat", [bob, carol])
    bob.send("how many died at Makiivka?", chat=group)
    with pytest.raises(TimeoutError):
        group.next_bot_message(timeout=1)
    question = bob.send("/ask kramatorsk strike", chat=group)
    answer = replies_in(group)
    assert "more than 600" in joined(answer)
    # In a busy group the answer quotes the question it answers.
    assert answer[0].reply_to_message_id == question.message_id
    carol.send(f"@{tg.bot_username} makiivka death toll", chat=group)
    assert "Makiivka" in replies_in(group)[0].content
    carol.send("and in Kramatorsk?", chat=group, reply_to=answer[-1])
    assert "Kramatorsk" in replies_in(group)[0].content
    bob.send("/ask", chat=group)
    assert "Usage: /ask" in group.next_bot_message(timeout=10).content


def test_inline_mode_offers_events_and_posts_a_compact_card(tg: FakeTelegram, bot: Any) -> None:
    dave = tg.add_user("Dave")
    group = tg.add_group("Friends", [dave])
    query = dave.inline_query("makiivka")
    results = query.wait_answer(timeout=10).results
    assert results[0]["id"] == "makiivka-strike"
    posted = query.choose("makiivka-strike", chat=group)
    assert posted is not None
    assert "Makiivka" in posted.content and "63" in posted.content
    assert len(posted.content) <= TELEGRAM_LIMIT
    everything = dave.inline_query("").wait_answer(timeout=10).results
    assert len(everything) >= 5


def test_the_claimbot_run_command_serves_users(
    seeded_sqlite_template: Path, tmp_path: Path
) -> None:
    """The README's run command, as a real process, pointed at a test server of its own."""
    url = copy_seeded_sqlite(seeded_sqlite_template, tmp_path)
    with FakeTelegram() as tg:
        serve_one_question(tg, url)


def serve_one_question(tg: FakeTelegram, url: str) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMBOT_")}
    environment |= {
        "CLAIMBOT_TOKEN": tg.token,
        "CLAIMBOT_BOT_API_URL": tg.base_url,
        "CLAIMBOT_DATABASE_URL": url,
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("claimbot")), "run"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        erin = tg.add_user("Erin")
        erin.send("how many drones attacked Kyiv?")
        reply = erin.chat.next_bot_message(timeout=30)
        assert "40" in reply.content
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert tg.token not in stderr


def test_an_unexpected_error_is_apologised_for_and_the_bot_keeps_running(
    alice: TgUser, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: AnswerService, question: str) -> None:
        raise RuntimeError("a bug in answering")

    with monkeypatch.context() as patch:
        for way in ("ask", "ask_from_memory"):
            patch.setattr(AnswerService, way, broken)
        reply = ask(alice, "how many died at Makiivka?")
    assert len(reply) == 1
    assert "Sorry, something went wrong" in reply[0].content
    assert "a bug in answering" not in reply[0].content
    assert any("error while handling update" in r.getMessage() for r in caplog.records)
    assert "Makiivka" in ask(alice, "how many died at Makiivka?")[0].content


def test_a_press_whose_acknowledgement_telegram_refuses_still_turns_the_page(
    tg: FakeTelegram, alice: TgUser
) -> None:
    """Telegram refuses to acknowledge a press twice or late (a replayed update, a slow
    start): the press must still do what it is for, not end in an apology."""
    first = ask(alice, "/event kramatorsk-strike")[0]
    tg.inject_fault(
        "answerCallbackQuery",
        status=400,
        description="Bad Request: query is too old and response timeout expired or query ID "
        "is invalid",
    )
    alice.press(first, "Next ▶")
    event = alice.chat.next_bot_event(timeout=10)
    assert event.kind == "edit" and event.message.message_id == first.message_id
    assert "Sorry, something went wrong" not in event.message.content
