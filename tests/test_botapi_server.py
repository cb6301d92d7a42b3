"""Tests of the fake Telegram Bot API server (tests/botapi), through plain HTTP and PTB."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    AIORateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.botapi import (
    EntityParseError,
    FakeTelegram,
    escape,
    parse_html,
    running,
    utf16_len,
)

T = TypeVar("T")
JsonDict = dict[str, Any]


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


@pytest.fixture
def http(tg: FakeTelegram) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=tg.api_url + "/", timeout=10) as client:
        yield client


def make_bot(tg: FakeTelegram, read_timeout: float = 5.0) -> Bot:
    return Bot(
        tg.token,
        base_url=tg.base_url,
        base_file_url=tg.base_file_url,
        request=HTTPXRequest(read_timeout=read_timeout),
    )


def ok(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200, body
    assert body["ok"] is True
    return body["result"]


def error(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert body["ok"] is False
    assert body["error_code"] == response.status_code
    return response.status_code, str(body["description"])


def keyboard(*buttons: JsonDict) -> JsonDict:
    return {"inline_keyboard": [list(buttons)]}


# --------------------------------------------------------------------------- HTML parser


@pytest.mark.parametrize(
    ("html", "text", "entities"),
    [
        ("<b>bold</b> plain", "bold plain", [{"type": "bold", "offset": 0, "length": 4}]),
        (
            "<b>a<i>b</i></b>",
            "ab",
            [
                {"type": "bold", "offset": 0, "length": 2},
                {"type": "italic", "offset": 1, "length": 1},
            ],
        ),
        ("&lt;tag&gt; &amp; &quot;q&quot; &#65;&#x42;", '<tag> & "q" AB', []),
        ("1 &lt; 2 &gt; 0", "1 < 2 > 0", []),
        ("a > b", "a > b", []),
        (
            '<a href="https://example.org/?a=1&amp;b=2">link</a>',
            "link",
            [
                {
                    "type": "text_link",
                    "offset": 0,
                    "length": 4,
                    "url": "https://example.org/?a=1&b=2",
                }
            ],
        ),
        (
            '<pre><code class="language-python">x = 1</code></pre>',
            "x = 1",
            [{"type": "pre", "offset": 0, "length": 5, "language": "python"}],
        ),
        ("<code>c</code>", "c", [{"type": "code", "offset": 0, "length": 1}]),
        (
            '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>',
            "st",
            [
                {"type": "spoiler", "offset": 0, "length": 1},
                {"type": "spoiler", "offset": 1, "length": 1},
            ],
        ),
        (
            "<blockquote expandable>q</blockquote><blockquote>r</blockquote>",
            "qr",
            [
                {"type": "expandable_blockquote", "offset": 0, "length": 1},
                {"type": "blockquote", "offset": 1, "length": 1},
            ],
        ),
        (
            "<u>u</u><ins>i</ins><s>s</s><del>d</del><strike>k</strike><em>e</em><strong>g</strong>",
            "uisdkeg",
            [
                {"type": "underline", "offset": 0, "length": 1},
                {"type": "underline", "offset": 1, "length": 1},
                {"type": "strikethrough", "offset": 2, "length": 1},
                {"type": "strikethrough", "offset": 3, "length": 1},
                {"type": "strikethrough", "offset": 4, "length": 1},
                {"type": "italic", "offset": 5, "length": 1},
                {"type": "bold", "offset": 6, "length": 1},
            ],
        ),
        (
            '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
            "👍",
            [
                {
                    "type": "custom_emoji",
                    "offset": 0,
                    "length": 2,
                    "custom_emoji_id": "5368324170671202286",
                }
            ],
        ),
        ("😀<b>x</b>", "😀x", [{"type": "bold", "offset": 2, "length": 1}]),
        ("<B>upper</B>", "upper", [{"type": "bold", "offset": 0, "length": 5}]),
        ("<b></b>empty", "empty", []),
        ("<b>x</>", "x", [{"type": "bold", "offset": 0, "length": 1}]),
    ],
)
def test_html_parser_accepts_telegram_html(html: str, text: str, entities: list[JsonDict]) -> None:
    parsed = parse_html(html)
    assert parsed.text == text
    assert parsed.entities == entities


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("I <3 you", 'Unsupported start tag "3" at byte offset 2'),
        ("é<br/>", 'Unsupported start tag "br/" at byte offset 2'),
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("a & b", 'Unescaped "&" at byte offset 2'),
        ("&nbsp;", 'Unescaped "&" at byte offset 0'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<a>x</a>", 'Tag "a" must have attribute "href" at byte offset 0'),
        ('<a href="javascript:alert(1)">x</a>', "Unsupported URL"),
        ("<a href=https://x.org>x</a>", "Unexpected end of name token at byte offset 8"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<b class>x</b>", 'Expected equal sign in declaration of an attribute of the tag "b"'),
        ('<tg-emoji emoji-id="abc">x</tg-emoji>', "Invalid custom emoji identifier specified"),
    ],
)
def test_html_parser_rejects_what_telegram_rejects(html: str, message: str) -> None:
    with pytest.raises(EntityParseError) as exc_info:
        parse_html(html)
    assert message in str(exc_info.value)


def test_html_parser_lenient_mode_matches_tdlib() -> None:
    assert parse_html("a & b &nbsp;", strict=False).text == "a & b &nbsp;"
    assert parse_html("<a>x</a>", strict=False).entities == []
    assert parse_html(escape("<b> & </b>")).text == "<b> & </b>"


def test_utf16_length_counts_surrogate_pairs() -> None:
    assert utf16_len("abc") == 3
    assert utf16_len("😀") == 2
    assert utf16_len("é") == 1


# --------------------------------------------------------------------------- HTTP surface


def test_transport_encodings_tokens_and_method_names(tg: FakeTelegram, http: httpx.Client) -> None:
    assert ok(http.get("getMe"))["username"] == "claimbot_test_bot"
    assert ok(http.post("GETME"))["id"] == tg.bot_id
    alice = tg.add_user("Alice")
    sent = [
        ok(http.get("sendMessage", params={"chat_id": alice.id, "text": "query"})),
        ok(http.post("sendmessage", data={"chat_id": str(alice.id), "text": "form"})),
        ok(http.post("sendMessage", json={"chat_id": alice.id, "text": "json"})),
        ok(
            http.post(
                "sendMessage", files={"chat_id": (None, str(alice.id)), "text": (None, "multi")}
            )
        ),
    ]
    assert [m["text"] for m in sent] == ["query", "form", "json", "multi"]
    assert [m["message_id"] for m in sent] == [1, 2, 3, 4]
    assert all(isinstance(m["date"], int) for m in sent)
    assert tg.call_count("sendMessage") == 4
    assert tg.call_count("getme") == 2

    bad_token = httpx.post(f"{tg.base_url}123:wrong/getMe")
    assert error(bad_token) == (401, "Unauthorized")
    malformed = httpx.post(f"{tg.base_url}nonsense/getMe")
    assert error(malformed) == (404, "Not Found")
    assert error(http.post("noSuchMethod")) == (404, "Not Found")
    assert error(http.post("sendMessage", data={"text": "x"})) == (
        400,
        "Bad Request: chat_id is empty",
    )
    assert error(http.post("sendMessage", data={"chat_id": "999", "text": "x"})) == (
        400,
        "Bad Request: chat not found",
    )


def test_send_message_validates_html_and_records_rejections(
    tg: FakeTelegram, http: httpx.Client
) -> None:
    alice = tg.add_user("Alice")
    result = ok(
        http.post(
            "sendMessage",
            json={
                "chat_id": alice.id,
                "text": "<b>Hi</b> &lt;3 /help",
                "parse_mode": "HTML",
                "link_preview_options": {"is_disabled": True},
            },
        )
    )
    assert result["text"] == "Hi <3 /help"
    assert result["entities"] == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "bot_command", "offset": 6, "length": 5},
    ]
    shown = tg.messages(alice)[0]
    assert (shown.text, shown.html, shown.parse_mode) == (
        "Hi <3 /help",
        "<b>Hi</b> &lt;3 /help",
        "HTML",
    )
    assert shown.link_preview_options == {"is_disabled": True}
    tg.assert_no_rejected_calls()

    status, description = error(
        http.post(
            "sendMessage", json={"chat_id": alice.id, "text": "<div>x</div>", "parse_mode": "HTML"}
        )
    )
    assert status == 400
    assert (
        description
        == 'Bad Request: can\'t parse entities: Unsupported start tag "div" at byte offset 0'
    )
    status, description = error(
        http.post("sendMessage", json={"chat_id": alice.id, "text": "1 < 2", "parse_mode": "HTML"})
    )
    assert description.startswith("Bad Request: can't parse entities: Unsupported start tag")
    assert [c.method for c in tg.rejected_calls()] == ["sendMessage", "sendMessage"]
    assert tg.rejected_calls()[0].params["text"] == "<div>x</div>"
    with pytest.raises(AssertionError, match="2 bot API call"):
        tg.assert_no_rejected_calls()
    assert len(tg.messages(alice)) == 1  # rejected messages are not delivered


def test_text_length_limits_count_utf16_after_parsing(tg: FakeTelegram, http: httpx.Client) -> None:
    chat = tg.add_user("Alice").id

    def send(text: str, parse_mode: str | None = "HTML") -> httpx.Response:
        return http.post(
            "sendMessage", json={"chat_id": chat, "text": text, "parse_mode": parse_mode}
        )

    ok(send("x" * 4096))
    assert error(send("x" * 4097)) == (400, "Bad Request: message is too long")
    ok(send("<b>" + "x" * 4096 + "</b>"))  # the limit applies to the visible text
    ok(send("&lt;" * 4096))
    ok(send("😀" * 2048))  # 4096 UTF-16 code units
    assert error(send("😀" * 2049)) == (400, "Bad Request: message is too long")
    ok(send("  " + "x" * 4096 + "\n\n"))  # surrounding whitespace is trimmed first
    assert error(send("")) == (400, "Bad Request: message text is empty")
    assert error(send(" \n ")) == (400, "Bad Request: message text is empty")
    assert error(send("<b></b>")) == (400, "Bad Request: message text is empty")
    assert error(send("x", parse_mode="nonsense")) == (400, "Bad Request: unsupported parse_mode")


def test_inline_keyboard_validation(tg: FakeTelegram, http: httpx.Client) -> None:
    chat = tg.add_user("Alice").id

    def send(markup: JsonDict) -> httpx.Response:
        return http.post("sendMessage", json={"chat_id": chat, "text": "k", "reply_markup": markup})

    ok(send(keyboard({"text": "ok", "callback_data": "x" * 64})))
    ok(send(keyboard({"text": "ok", "callback_data": "é" * 32})))  # 64 bytes
    bad_data = "Bad Request: BUTTON_DATA_INVALID"
    assert error(send(keyboard({"text": "ok", "callback_data": "x" * 65}))) == (400, bad_data)
    assert error(send(keyboard({"text": "ok", "callback_data": "é" * 33}))) == (400, bad_data)
    assert error(send(keyboard({"text": "ok", "callback_data": ""}))) == (400, bad_data)
    _, description = error(send(keyboard({"text": "no action"})))
    assert description.endswith("Text buttons are unallowed in the inline keyboard")
    _, description = error(send(keyboard({"text": "", "callback_data": "x"})))
    assert description.startswith("Bad Request: can't parse inline keyboard button")
    _, description = error(
        send(keyboard({"text": "two", "callback_data": "x", "url": "https://a.b"}))
    )
    assert "exactly one" in description
    ok(send(keyboard({"text": "site", "url": "https://example.org"})))
    # form-encoded, as PTB sends it: nested values arrive JSON-encoded
    form = {
        "chat_id": str(chat),
        "text": "f",
        "reply_markup": '{"inline_keyboard": [[{"text": "a"}]]}',
    }
    assert error(http.post("sendMessage", data=form))[0] == 400
    assert len(tg.rejected_calls()) == 7


def test_get_updates_offset_limit_and_ids(tg: FakeTelegram, http: httpx.Client) -> None:
    alice = tg.add_user("Alice")
    for text in ("one", "two", "three"):
        alice.send(text)
    updates = ok(http.post("getUpdates", json={"limit": 2}))
    assert [u["message"]["text"] for u in updates] == ["one", "two"]
    first, second = updates[0]["update_id"], updates[1]["update_id"]
    assert second == first + 1
    again = ok(http.post("getUpdates"))  # nothing confirmed yet
    assert [u["update_id"] for u in again] == [first, first + 1, first + 2]
    rest = ok(http.post("getUpdates", json={"offset": second + 1}))
    assert [u["message"]["text"] for u in rest] == ["three"]
    assert len(tg.pending_updates()) == 1
    ok(http.post("getUpdates", json={"offset": second + 2, "timeout": 0}))
    assert tg.pending_updates() == []
    for text in ("a", "b", "c"):
        alice.send(text)
    last = ok(http.post("getUpdates", json={"offset": -1}))
    assert [u["message"]["text"] for u in last] == ["c"]
    assert [u["message"]["text"] for u in tg.pending_updates()] == ["c"]


def test_get_updates_long_poll_returns_as_soon_as_an_update_arrives(
    tg: FakeTelegram, http: httpx.Client
) -> None:
    alice = tg.add_user("Alice")
    assert ok(http.post("getUpdates", json={"timeout": 0.2})) == []  # empty after the timeout
    result: list[Any] = []
    poller = threading.Thread(
        target=lambda: result.append(ok(http.post("getUpdates", json={"timeout": 30}))),
    )
    poller.start()
    tg.wait_until(lambda: tg.long_polls_waiting or None, 5, "a parked getUpdates")
    alice.send("wake up")
    poller.join(5)
    assert not poller.is_alive(), "getUpdates did not return when the update arrived"
    assert [u["message"]["text"] for u in result[0]] == ["wake up"]


def test_allowed_updates_filters_and_persists(tg: FakeTelegram, http: httpx.Client) -> None:
    alice = tg.add_user("Alice")
    alice.send("before")  # created before the filter: still delivered, as on Telegram
    ok(http.post("getUpdates", json={"allowed_updates": ["callback_query"]}))
    alice.send("filtered out")
    sent = ok(
        http.post(
            "sendMessage",
            json={
                "chat_id": alice.id,
                "text": "b",
                "reply_markup": keyboard({"text": "B", "callback_data": "b"}),
            },
        )
    )
    alice.press(tg.message(alice, sent["message_id"]), "B")
    kinds = [next(k for k in u if k != "update_id") for u in ok(http.post("getUpdates"))]
    assert kinds == ["message", "callback_query"]  # the setting persisted without the parameter
    ok(http.post("getUpdates", json={"allowed_updates": []}))  # back to the default
    alice.send("visible again")
    texts = [u["message"]["text"] for u in ok(http.post("getUpdates")) if "message" in u]
    assert texts == ["before", "visible again"]


def test_edit_message_text_semantics(tg: FakeTelegram, http: httpx.Client) -> None:
    alice = tg.add_user("Alice")
    markup = keyboard({"text": "Go", "callback_data": "go"})
    sent = ok(
        http.post(
            "sendMessage",
            json={
                "chat_id": alice.id,
                "text": "<i>v1</i>",
                "parse_mode": "HTML",
                "reply_markup": markup,
            },
        )
    )
    ref = {"chat_id": alice.id, "message_id": sent["message_id"]}
    edited = ok(
        http.post(
            "editMessageText",
            json={**ref, "text": "<b>v2</b>", "parse_mode": "HTML", "reply_markup": markup},
        )
    )
    assert edited["text"] == "v2"
    assert isinstance(edited["edit_date"], int)
    not_modified = error(
        http.post(
            "editMessageText",
            json={**ref, "text": "<b>v2</b>", "parse_mode": "HTML", "reply_markup": markup},
        )
    )
    assert not_modified[1].startswith("Bad Request: message is not modified")
    # Same text without reply_markup removes the keyboard: that is a modification.
    ok(http.post("editMessageText", json={**ref, "text": "<b>v2</b>", "parse_mode": "HTML"}))
    current = tg.message(alice, sent["message_id"])
    assert (current.text, current.html, current.keyboard, current.version) == (
        "v2",
        "<b>v2</b>",
        [],
        2,
    )
    events = tg.bot_events(alice)
    assert [(e.kind, e.message.text) for e in events] == [
        ("message", "v1"),
        ("edit", "v2"),
        ("edit", "v2"),
    ]
    assert error(http.post("editMessageText", json={**ref, "text": "x" * 4097}))[1] == (
        "Bad Request: message is too long"
    )
    missing = {"chat_id": alice.id, "message_id": 999, "text": "x"}
    assert (
        error(http.post("editMessageText", json=missing))[1]
        == "Bad Request: message to edit not found"
    )
    user_message = alice.send("mine")
    theirs = {"chat_id": alice.id, "message_id": user_message.message_id, "text": "x"}
    assert (
        error(http.post("editMessageText", json=theirs))[1]
        == "Bad Request: message can't be edited"
    )
    ok(http.post("editMessageReplyMarkup", json={**ref, "reply_markup": markup}))
    assert tg.message(alice, sent["message_id"]).button_texts == ["Go"]
    assert error(http.post("editMessageReplyMarkup", json={**ref, "reply_markup": markup}))[
        1
    ].startswith("Bad Request: message is not modified")
    ok(http.post("deleteMessage", json=ref))
    assert (
        error(http.post("deleteMessage", json=ref))[1] == "Bad Request: message to delete not found"
    )
    assert [m.text for m in tg.messages(alice)] == ["mine"]


def test_replies_and_user_entities(tg: FakeTelegram, http: httpx.Client) -> None:
    alice, bob = tg.add_user("Alice", username="alice"), tg.add_user("Bob")
    group = tg.add_group("Claims", [alice, bob])
    question = group.send(alice, "/ask@claimbot_test_bot why? cc @claimbot_test_bot /x@ab a/b")
    assert [(e["type"], e["offset"], e["length"]) for e in question.entities] == [
        ("bot_command", 0, 22),
        ("mention", 31, 18),
    ]
    assert question.entities_of_type("bot_command") == ["/ask@claimbot_test_bot"]
    reply = ok(
        http.post(
            "sendMessage",
            json={
                "chat_id": group.id,
                "text": "answer",
                "reply_parameters": {"message_id": question.message_id},
            },
        )
    )
    assert reply["reply_to_message"]["text"] == question.text
    assert reply["chat"] == {"id": group.id, "type": "supergroup", "title": "Claims"}
    lost = {"chat_id": group.id, "text": "x", "reply_parameters": {"message_id": 999}}
    assert (
        error(http.post("sendMessage", json=lost))[1]
        == "Bad Request: message to be replied not found"
    )
    lost["reply_parameters"] = {"message_id": 999, "allow_sending_without_reply": True}
    assert "reply_to_message" not in ok(http.post("sendMessage", json=lost))
    legacy_form = {
        "chat_id": str(group.id),
        "text": "legacy",
        "reply_to_message_id": str(question.message_id),
        "disable_web_page_preview": "true",
    }
    legacy = ok(http.post("sendMessage", data=legacy_form))
    assert legacy["reply_to_message"]["message_id"] == question.message_id
    assert tg.message(group, legacy["message_id"]).link_preview_options == {"is_disabled": True}
    answer = bob.send("thanks", chat=group, reply_to=reply["message_id"])
    assert answer.reply_to_message_id == reply["message_id"]
    update = tg.pending_updates()[-1]["message"]
    assert update["reply_to_message"]["from"]["is_bot"] is True


def test_callback_and_inline_answers(tg: FakeTelegram, http: httpx.Client) -> None:
    alice = tg.add_user("Alice")
    sent = ok(
        http.post(
            "sendMessage",
            json={
                "chat_id": alice.id,
                "text": "?",
                "reply_markup": keyboard({"text": "Y", "callback_data": "y"}),
            },
        )
    )
    press = alice.press(tg.message(alice, sent["message_id"]), "Y")
    (update,) = [u["callback_query"] for u in tg.pending_updates() if "callback_query" in u]
    assert (update["id"], update["data"], update["message"]["message_id"]) == (
        press.id,
        "y",
        sent["message_id"],
    )
    assert press.answer is None
    ok(
        http.post(
            "answerCallbackQuery",
            json={"callback_query_id": press.id, "text": "Done", "show_alert": True},
        )
    )
    assert press.wait_answer(1).text == "Done"
    assert press.wait_answer(1).show_alert is True
    too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    assert error(http.post("answerCallbackQuery", json={"callback_query_id": press.id})) == (
        400,
        too_old,
    )
    assert error(http.post("answerCallbackQuery", json={"callback_query_id": "123"})) == (
        400,
        too_old,
    )

    query = alice.inline_query("claims")
    results = [
        {
            "type": "article",
            "id": str(i),
            "title": f"r{i}",
            "input_message_content": {"message_text": "t"},
        }
        for i in range(51)
    ]
    too_many = error(
        http.post("answerInlineQuery", json={"inline_query_id": query.id, "results": results})
    )
    assert too_many == (400, "Bad Request: RESULTS_TOO_MUCH")
    long_id = [{**results[0], "id": "x" * 65}]
    assert error(
        http.post("answerInlineQuery", json={"inline_query_id": query.id, "results": long_id})
    )[1] == ("Bad Request: RESULT_ID_INVALID")
    bad_html = [
        {**results[0], "input_message_content": {"message_text": "<x>", "parse_mode": "HTML"}}
    ]
    assert (
        "can't parse entities"
        in error(
            http.post("answerInlineQuery", json={"inline_query_id": query.id, "results": bad_html})
        )[1]
    )
    with_button = [
        {**results[0], "reply_markup": keyboard({"text": "Vote", "callback_data": "vote"})}
    ]
    ok(http.post("answerInlineQuery", json={"inline_query_id": query.id, "results": with_button}))
    assert query.wait_answer(1).results[0]["id"] == "0"
    assert (
        error(http.post("answerInlineQuery", json={"inline_query_id": query.id, "results": []}))[1]
        == too_old
    )
    posted = query.choose("0", chat=alice)
    assert posted is not None and posted.via_bot_id == tg.bot_id and posted.inline_message_id
    *_, chosen_update, via_bot_update = tg.pending_updates()
    chosen = chosen_update["chosen_inline_result"]
    assert via_bot_update["message"]["via_bot"]["id"] == tg.bot_id
    assert chosen["inline_message_id"] == posted.inline_message_id
    ok(
        http.post(
            "editMessageText", json={"inline_message_id": posted.inline_message_id, "text": "voted"}
        )
    )
    assert tg.message(alice, posted.message_id).text == "voted"


def test_commands_per_scope_and_language(tg: FakeTelegram, http: httpx.Client) -> None:
    alice = tg.add_user("Alice", language_code="de")
    bob = tg.add_user("Bob", language_code="en")
    group = tg.add_group("G", [alice, bob], admins=[alice])
    default = [{"command": "start", "description": "Start"}]
    german = [{"command": "start", "description": "Los"}]
    groups = [{"command": "claim", "description": "Look up a claim"}]
    admins = [{"command": "ban", "description": "Admins only"}]
    ok(http.post("setMyCommands", json={"commands": default}))
    ok(http.post("setMyCommands", json={"commands": german, "language_code": "de"}))
    ok(http.post("setMyCommands", json={"commands": groups, "scope": {"type": "all_group_chats"}}))
    ok(
        http.post(
            "setMyCommands",
            json={
                "commands": admins,
                "scope": {"type": "chat_administrators", "chat_id": group.id},
            },
        )
    )
    assert ok(http.post("getMyCommands")) == default
    assert ok(http.post("getMyCommands", json={"language_code": "de"})) == german
    assert ok(http.post("getMyCommands", json={"scope": {"type": "all_private_chats"}})) == []
    assert tg.commands({"type": "all_group_chats"}) == groups
    assert tg.visible_commands(alice) == german
    assert tg.visible_commands(bob) == default
    assert tg.visible_commands(alice, group) == admins
    assert tg.visible_commands(bob, group) == groups
    ok(http.post("deleteMyCommands", json={"scope": {"type": "all_group_chats"}}))
    assert tg.visible_commands(bob, group) == default
    bad = [{"command": "Bad-Name", "description": "x"}]
    assert error(http.post("setMyCommands", json={"commands": bad})) == (
        400,
        "Bad Request: BOT_COMMAND_INVALID",
    )
    missing_chat = {"commands": default, "scope": {"type": "chat", "chat_id": 1}}
    assert error(http.post("setMyCommands", json=missing_chat)) == (
        400,
        "Bad Request: chat not found",
    )


def test_misc_methods(tg: FakeTelegram, http: httpx.Client) -> None:
    alice = tg.add_user("Alice")
    ok(http.post("sendChatAction", json={"chat_id": alice.id, "action": "typing"}))
    assert [a.action for a in tg.chat_actions(alice)] == ["typing"]
    assert (
        error(http.post("sendChatAction", json={"chat_id": alice.id, "action": "dancing"}))[0]
        == 400
    )
    ok(http.post("setChatMenuButton", json={"menu_button": {"type": "commands"}}))
    assert tg.menu_button(alice) == {"type": "commands"}
    assert ok(http.post("getChatMenuButton", json={"chat_id": alice.id})) == {"type": "commands"}
    ok(http.post("setWebhook", json={"url": "https://example.org/hook", "secret_token": "s"}))
    assert ok(http.post("getWebhookInfo"))["url"] == "https://example.org/hook"
    assert error(http.post("getUpdates")) == (
        409,
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first",
    )
    ok(http.post("deleteWebhook"))
    assert ok(http.post("getWebhookInfo")) == {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": 0,
    }
    alice.block_bot()
    assert error(http.post("sendMessage", json={"chat_id": alice.id, "text": "x"})) == (
        403,
        "Forbidden: bot was blocked by the user",
    )


# --------------------------------------------------------------------------- through telegram.Bot


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter
def test_ptb_bot_errors_documents_and_faults(tg: FakeTelegram) -> None:
    alice = tg.add_user("Alice")
    upload = alice.send_document(b"col1,col2\n1,2\n", "claims.csv", caption="my file /start")

    async def scenario() -> None:
        async with make_bot(tg) as bot:
            me = await bot.get_me()
            assert me.username == "claimbot_test_bot"
            message = await bot.send_message(alice.id, "<b>hi</b>", parse_mode=ParseMode.HTML)
            assert message.text == "hi" and message.entities[0].type == "bold"
            with pytest.raises(BadRequest, match=r"(?i)parse entities: unsupported start tag"):
                await bot.send_message(alice.id, "<p>hi</p>", parse_mode=ParseMode.HTML)
            with pytest.raises(BadRequest, match=r"(?i)message is too long"):
                await bot.send_message(alice.id, "x" * 4097)
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("big", callback_data="x" * 65)]])
            with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
                await bot.send_message(alice.id, "k", reply_markup=markup)

            # a document uploaded by the user is downloadable by the bot
            assert upload.document is not None
            file = await bot.get_file(upload.document.file_id)
            assert bytes(await file.download_as_bytearray()) == b"col1,col2\n1,2\n"
            # a document sent by the bot is readable by the test
            sent = await bot.send_document(
                alice.id, b"report", filename="report.txt", caption="<i>r</i>", parse_mode="HTML"
            )
            assert sent.document is not None and sent.caption == "r"
            again = await bot.send_document(alice.id, sent.document.file_id)  # resend by file_id
            assert again.document is not None and again.document.file_id == sent.document.file_id

            tg.inject_fault("sendMessage", status=429, retry_after=7)
            with pytest.raises(RetryAfter) as retry:
                await bot.send_message(alice.id, "flood")
            assert retry.value.retry_after in (7, dt.timedelta(seconds=7))
            tg.inject_fault(None, count=2, status=502)
            with pytest.raises(NetworkError, match="Bad Gateway"):
                await bot.get_me()
            with pytest.raises(NetworkError, match="Bad Gateway"):
                await bot.send_message(alice.id, "x")
            await bot.send_message(alice.id, "after the faults")
            tg.inject_delay("sendChatAction", 0.5)
            with pytest.raises(TimedOut):
                await bot.send_chat_action(alice.id, "typing", read_timeout=0.1)
            tg.inject_fault("getMe", status=500, count=1)
            with pytest.raises(NetworkError, match="Internal Server Error"):
                await bot.get_me()

        with pytest.raises(InvalidToken):
            async with Bot("123:wrong", base_url=tg.base_url):
                pass

    run(scenario())
    assert [d.content for d in tg.documents_sent(alice)] == [b"report", b"report"]
    assert tg.documents_sent()[0].file_name == "report.txt"
    assert [c.description for c in tg.rejected_calls(include_injected=True) if c.injected] == [
        "Too Many Requests: retry after 7",
        "Bad Gateway",
        "Bad Gateway",
        "Internal Server Error",
    ]
    assert [m.text for m in tg.messages(alice) if m.from_bot] == [
        "hi",
        None,
        None,
        "after the faults",
    ]


# --------------------------------------------------------------------------- a real Application


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_message.text is not None
    buttons = InlineKeyboardMarkup([[InlineKeyboardButton("Like", callback_data="like")]])
    await update.effective_message.reply_html(
        f"<b>Echo:</b> {escape(update.effective_message.text)}", reply_markup=buttons
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(f"You pressed {query.data}")
    await query.edit_message_reply_markup(None)


async def on_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.inline_query is not None
    await update.inline_query.answer(
        [
            InlineQueryResultArticle(
                "1",
                "Result",
                InputTextMessageContent(f"<i>{update.inline_query.query}</i>", parse_mode="HTML"),
            )
        ]
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("Welcome!")


def build_app(tg: FakeTelegram) -> Any:
    app = tg.application_builder().build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(InlineQueryHandler(on_inline))
    return app


def test_application_echo_button_and_inline_end_to_end(tg: FakeTelegram) -> None:
    alice = tg.add_user("Alice", username="alice")
    bob = tg.add_user("Bob")
    group = tg.add_group("Claims", [alice, bob])

    async def scenario() -> None:
        async with running(build_app(tg)):
            with pytest.raises(RuntimeError, match="_async"):
                alice.chat.next_bot_message(1)  # a blocking wait would freeze the bot's loop
            alice.send("/start")
            assert (await alice.chat.next_bot_message_async()).text == "Welcome!"
            alice.send("is <this> & that true?")
            echoed = await alice.chat.next_bot_message_async()
            assert echoed.text == "Echo: is <this> & that true?"
            assert echoed.html == "<b>Echo:</b> is &lt;this&gt; &amp; that true?"
            assert echoed.button_texts == ["Like"]
            press = alice.press(echoed, "Like")
            answer = await press.wait_answer_async()
            assert answer.text == "You pressed like"
            edit = await alice.chat.next_bot_event_async()
            assert edit.kind == "edit" and edit.message.keyboard == []

            command = group.send(bob, "/start@claimbot_test_bot")
            welcome = await group.next_bot_message_async()
            assert welcome.text == "Welcome!"
            assert welcome.reply_to_message_id == command.message_id  # PTB quotes in groups

            inline = alice.inline_query("claims")
            assert (await inline.wait_answer_async()).results[0]["title"] == "Result"
            posted = inline.choose("1", chat=group)
            assert posted is not None and posted.text == "claims"
            assert posted.entities == ({"type": "italic", "offset": 0, "length": 6},)
            # the message sent via the bot reaches the bot like any group message
            assert (await group.next_bot_message_async()).text == "Echo: claims"
            await tg.wait_updates_consumed_async()

    run(scenario())
    tg.assert_no_rejected_calls()
    assert tg.call_count("getUpdates") >= 2
    assert tg.long_polls_waiting == 0


def test_privacy_mode_only_delivers_commands_and_replies(tg: FakeTelegram) -> None:
    tg.privacy_mode = True
    alice = tg.add_user("Alice")
    group = tg.add_group("G", [alice])
    group.send(alice, "chatter the bot must not see")
    group.send(alice, "/start@other_bot")
    group.send(alice, "/start")
    group.send(alice, "/help@claimbot_test_bot")
    texts = [u["message"]["text"] for u in tg.pending_updates()]
    assert texts == ["/start", "/help@claimbot_test_bot"]


def test_webhook_delivery_with_secret_token(tg: FakeTelegram) -> None:
    alice = tg.add_user("Alice")

    async def scenario() -> None:
        received: asyncio.Queue[tuple[str | None, JsonDict]] = asyncio.Queue()

        async def hook(request: web.Request) -> web.Response:
            await received.put(
                (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
            )
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_post("/hook", hook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with make_bot(tg) as bot:
                await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
                with pytest.raises(Conflict):
                    await bot.get_updates()
                alice.send("via webhook")
                secret, update = await asyncio.wait_for(received.get(), 5)
                assert secret == "s3cret"
                assert update["message"]["text"] == "via webhook"
                await tg.wait_updates_consumed_async()
                info = await bot.get_webhook_info()
                assert info.pending_update_count == 0 and info.last_error_date is None
                await bot.delete_webhook()
        finally:
            await runner.cleanup()

    run(scenario())


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter
def test_rate_limiter_retries_after_injected_flood_wait(tg: FakeTelegram) -> None:
    alice = tg.add_user("Alice")
    app = tg.application_builder().rate_limiter(AIORateLimiter(max_retries=2)).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    tg.inject_fault("sendMessage", status=429, retry_after=0.05)

    async def scenario() -> None:
        async with running(app):
            alice.send("hello")
            assert (await alice.chat.next_bot_message_async()).text == "Echo: hello"

    run(scenario())
    assert [c.status for c in tg.calls("sendMessage")] == [429, 200]
    tg.assert_no_rejected_calls()  # injected faults are not the bot's fault


def test_the_per_chat_limit_answers_429_with_retry_after() -> None:
    with FakeTelegram(chat_messages_per_second=1) as tg:
        alice, bob = tg.add_user("Alice"), tg.add_user("Bob")

        def send(chat_id: int) -> tuple[int, dict[str, Any]]:
            response = httpx.post(
                f"{tg.api_url}/sendMessage", json={"chat_id": chat_id, "text": "hi"}, timeout=10
            )
            return response.status_code, response.json()

        assert send(alice.id)[0] == 200
        status, body = send(alice.id)
        assert status == 429 and body["parameters"]["retry_after"] == 1
        assert send(bob.id)[0] == 200  # another chat is not held back
        time.sleep(1.05)
        assert send(alice.id)[0] == 200
        assert len(alice.chat.bot_messages()) == 2
        tg.assert_no_rejected_calls()  # Telegram's limit, not the bot's mistake


def test_the_overall_limit_answers_429_whichever_chat_is_sent_to() -> None:
    with FakeTelegram(messages_per_second=3) as tg:
        users = [tg.add_user(f"User {n}") for n in range(5)]

        def send(chat_id: int) -> tuple[int, dict[str, Any]]:
            response = httpx.post(
                f"{tg.api_url}/sendMessage", json={"chat_id": chat_id, "text": "hi"}, timeout=10
            )
            return response.status_code, response.json()

        assert [send(u.id)[0] for u in users[:3]] == [200, 200, 200]
        status, body = send(users[3].id)  # a fourth message within the second, to a new chat
        assert status == 429 and body["parameters"]["retry_after"] == 1
        time.sleep(1.05)
        assert send(users[4].id)[0] == 200
        tg.assert_no_rejected_calls()
