"""A local Telegram Bot API test server and the control API for end-to-end tests.

    from tests.botapi import FakeTelegram, running

    with FakeTelegram() as tg:
        app = tg.application_builder().build()
        app.add_handler(...)
        alice = tg.add_user("Alice")
        async with running(app):
            alice.send("/start")
            reply = await alice.chat.next_bot_message_async()

See ``client.py`` for the control API and ``server.py`` for the Bot API emulation (one
module per area of the Bot API, which ``server.py`` lists).
"""

from .client import CallbackQuery, FakeTelegram, InlineQuery, TgChat, TgUser
from .html import EntityParseError, ParsedText, escape, parse_html, utf16_len
from .models import (
    ApiCall,
    BotEvent,
    Button,
    CallbackAnswer,
    ChatAction,
    DocumentView,
    InlineAnswer,
    MessageView,
)
from .ptb import running
from .records import DEFAULT_TOKEN, ApiError
from .server import BotApiServer

__all__ = [
    "DEFAULT_TOKEN",
    "ApiCall",
    "ApiError",
    "BotApiServer",
    "BotEvent",
    "Button",
    "CallbackAnswer",
    "CallbackQuery",
    "ChatAction",
    "DocumentView",
    "EntityParseError",
    "FakeTelegram",
    "InlineAnswer",
    "InlineQuery",
    "MessageView",
    "ParsedText",
    "TgChat",
    "TgUser",
    "escape",
    "parse_html",
    "running",
    "utf16_len",
]
