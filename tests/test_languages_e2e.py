"""Replies in the reader's language (issue 16), end to end through the test Bot API server.

Users whose Telegram is in Ukrainian or who ask in Ukrainian or Russian get the card's
labels, statuses and buttons in that language, with the figures and quotes as the outlets
printed them; /language chooses for good (in a group, only its administrators may).
"""

import re
from typing import Any

import pytest

from tests.botapi import FakeTelegram
from tests.test_bot_e2e import TELEGRAM_LIMIT, ask, joined, page_through, replies_in

# Every call the bot makes must be one Telegram would take.
pytestmark = pytest.mark.usefixtures("nothing_rejected")


def test_a_ukrainian_reader_gets_a_ukrainian_card_with_the_quotes_as_printed(
    tg: FakeTelegram, bot: Any
) -> None:
    olena = tg.add_user("Olena", language_code="uk")
    first = ask(olena, "скільки загинуло в Макіївці?")[0]
    lines = first.content.splitlines()
    assert lines[1] == "1 січ. 2023 · Makiivka, Donetsk Oblast, Ukraine"
    assert lines[2].startswith("Загинули: 🟠 89 (Russian MoD; раніше 63) · 🟠 близько 400")
    assert {"Далі ▶", "ℹ️ Про подію", "⚖️ Оцінки"} <= set(first.button_texts)
    pages = page_through(olena, first, "Далі ▶")
    text = joined(pages)
    # The labels and statuses are Ukrainian; the claims are in the words printed.
    assert (
        "Russian Ministry of Defence (Росія) заявляє: 63 Russian servicemen (2 січ. 2023)" in text
    )
    assert "🟠 оспорюється: both sides dispute the toll" in text and "⚪ не перевірено" in text
    assert "bne IntelliNews, 9 січ. 2023 (як «some 400»)" in text
    assert "Інші твердження" in text and "Killed" not in text and "disputed" not in text
    assert all(len(page.content) <= TELEGRAM_LIMIT for page in pages)
    # The About page and the way back are Ukrainian too.
    olena.press(pages[-1], "ℹ️ Про подію").wait_answer()
    about = olena.chat.next_bot_event(timeout=10).message
    assert "ℹ️ про подію" in about.content.splitlines()[0]
    assert "◀ До заяв" in about.button_texts


def test_a_russian_question_gets_a_russian_card(tg: FakeTelegram, bot: Any) -> None:
    ivan = tg.add_user("Ivan", language_code="en")
    first = ask(ivan, "сколько погибло в Макеевке?")[0]
    assert first.content.splitlines()[2].startswith("Погибли: 🟠 89 (Russian MoD; ранее 63)")
    # Its next page and its About page stay Russian, though his Telegram is in English.
    pages = page_through(ivan, first, "Далее ▶")
    assert len(pages) > 1 and "\nПогибли" in pages[1].content
    ivan.press(pages[-1], "ℹ️ О событии").wait_answer()
    assert "◀ К заявлениям" in ivan.chat.next_bot_event(timeout=10).message.button_texts
    # A question in Latin letters keeps his Telegram language.
    assert ask(ivan, "makiivka death toll")[0].content.splitlines()[2].startswith("Killed: ")


def test_language_en_switches_the_same_user_to_english(tg: FakeTelegram, bot: Any) -> None:
    taras = tg.add_user("Taras", language_code="uk")
    assert ask(taras, "makiivka")[0].content.splitlines()[2].startswith("Загинули:")
    assert ask(taras, "/language en")[0].content == "From now on I answer in English."
    # His choice wins over his Telegram language and over the question's letters.
    card = ask(taras, "скільки загинуло в Макіївці?")[0]
    assert card.content.splitlines()[2].startswith("Killed: ")
    assert "Next ▶" in card.button_texts
    assert ask(taras, "/language de")[0].content.startswith("Usage: /language")


def test_the_language_buttons_choose_and_the_choice_is_kept(tg: FakeTelegram, bot: Any) -> None:
    mark = tg.add_user("Mark", language_code="en")
    prompt = ask(mark, "/language")[0]
    assert prompt.content.startswith("I answer in English.")
    assert prompt.button_texts == ["English", "Українська", "Русский"]
    mark.press(prompt, "Русский").wait_answer()
    chosen = mark.chat.next_bot_event(timeout=10)
    assert chosen.kind == "edit" and chosen.message.content == "Теперь я отвечаю на языке: Русский."
    assert ask(mark, "/help")[0].content.startswith("Задайте вопрос")
    assert "\nПогибли: " in ask(mark, "kramatorsk")[0].content


def test_a_group_set_to_ukrainian_by_its_admin_answers_in_ukrainian(
    tg: FakeTelegram, bot: Any
) -> None:
    admin, member = tg.add_user("Admin"), tg.add_user("Member")
    group = tg.add_group("Новини", [admin, member], creator=admin)
    # A member who is not an administrator cannot set it, by command or button.
    member.send("/language uk", chat=group)
    refused = replies_in(group)[0].content
    assert refused == "Only an administrator of this group can set the language of my replies."
    member.send("/language", chat=group)
    prompt = replies_in(group)[0]
    pressed = member.press(prompt, "Українська").wait_answer()
    assert pressed.show_alert and pressed.text is not None and "administrator" in pressed.text
    question = member.send("/ask makiivka death toll", chat=group)
    assert replies_in(group)[0].content.splitlines()[2].startswith("Killed: ")
    # The administrator can, and then everyone gets Ukrainian, in Latin letters or not.
    admin.press(prompt, "Українська").wait_answer()
    assert group.next_bot_event(timeout=10).message.content.startswith("Відтепер")
    member.send("/ask makiivka death toll", chat=group, reply_to=question)
    answer = replies_in(group)[0]
    assert answer.content.splitlines()[2].startswith("Загинули: ")
    assert "Далі ▶" in answer.button_texts


def test_inline_results_follow_the_users_language(tg: FakeTelegram, bot: Any) -> None:
    oksana = tg.add_user("Oksana", language_code="uk")
    group = tg.add_group("Друзі", [oksana])
    query = oksana.inline_query("makiivka")
    answered = query.wait_answer(timeout=10)
    assert answered.is_personal
    first = answered.results[0]
    assert first["id"] == "makiivka-strike"
    assert re.fullmatch(r"\d+ заяв[аи]? · Makiivka", first["description"])
    posted = query.choose("makiivka-strike", chat=group)
    assert posted is not None and "Загинули: " in posted.content
    assert "Статуси встановлюють модератори" in posted.content


def test_the_command_menu_is_translated(tg: FakeTelegram, bot: Any) -> None:
    ukrainian = {c["command"]: c["description"] for c in tg.commands(language_code="uk")}
    assert ukrainian["language"] == "Мова моїх відповідей"
    russian = tg.commands({"type": "all_group_chats"}, language_code="ru")
    assert {"command": "ask", "description": "Спросить о событии: /ask ВОПРОС"} in russian


def test_usage_lines_and_unknown_commands_are_answered_in_the_readers_language(
    tg: FakeTelegram, bot: Any
) -> None:
    petro = tg.add_user("Petro", language_code="uk")
    assert ask(petro, "/whatever")[0].content.startswith("Я не знаю такої команди.")
    assert ask(petro, "/event")[0].content.startswith("Використання: /event SLUG")
    assert ask(petro, "/events")[0].content.startswith("Події (сторінка 1 з 2)")
    assert "Статуси" in ask(petro, "/about")[0].content
    start = ask(petro, "/start")[0]
    assert start.button_texts[0] == "Скільки загинуло в Макіївці?"
    petro.press(start, start.button_texts[0]).wait_answer()
    assert replies_in(petro.chat)[0].content.splitlines()[2].startswith("Загинули: ")
