"""Handles tests hold: a simulated user, a chat, a pressed button or an inline query whose
answer they await. State lives in the server; a handle only knows its id."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Generic, TypeVar, Union

from .models import (
    BotEvent,
    CallbackAnswer,
    EventKind,
    InlineAnswer,
    JsonDict,
    MessageView,
)
from .records import CallbackQueryRecord, InlineQueryRecord

if TYPE_CHECKING:
    from .client import FakeTelegram

ChatRef = Union["TgChat", "TgUser", int]
MessageRef = MessageView | int
AnswerT = TypeVar("AnswerT")


ALL_KINDS: tuple[EventKind, ...] = ("message", "edit", "delete")


class TgUser:
    """A simulated Telegram user (a handle: state lives in the server)."""

    def __init__(self, tg: FakeTelegram, user_id: int) -> None:
        self.tg = tg
        self.id = user_id

    def __repr__(self) -> str:
        return f"TgUser(id={self.id}, {self.api.get('first_name')!r})"

    @property
    def api(self) -> JsonDict:
        """The user as the bot sees it (a Bot API ``User`` dict)."""
        with self.tg._lock:
            return self.tg._users[self.id].to_api()

    @property
    def username(self) -> str | None:
        return self.api.get("username")

    @property
    def chat(self) -> TgChat:
        """The user's private chat with the bot."""
        return TgChat(self.tg, self.id)

    def send(
        self, text: str, *, chat: ChatRef | None = None, reply_to: MessageRef | None = None
    ) -> MessageView:
        return self.tg.send_message(self, text, chat=chat, reply_to=reply_to)

    def send_document(
        self,
        content: bytes,
        file_name: str = "document.bin",
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        chat: ChatRef | None = None,
        reply_to: MessageRef | None = None,
    ) -> MessageView:
        return self.tg.send_document(
            self,
            content,
            file_name,
            mime_type=mime_type,
            caption=caption,
            chat=chat,
            reply_to=reply_to,
        )

    def press(self, message: MessageView, button: str) -> CallbackQuery:
        return self.tg.press_button(self, message, button)

    def inline_query(
        self, query: str, *, offset: str = "", chat_type: str | None = "sender"
    ) -> InlineQuery:
        return self.tg.send_inline_query(self, query, offset=offset, chat_type=chat_type)

    def block_bot(self, blocked: bool = True) -> None:
        self.tg.block_bot(self, blocked)


class TgChat:
    """A chat (private, group or supergroup) as its users see it."""

    def __init__(self, tg: FakeTelegram, chat_id: int) -> None:
        self.tg = tg
        self.id = chat_id

    def __repr__(self) -> str:
        return f"TgChat(id={self.id}, type={self.type!r})"

    @property
    def type(self) -> str:
        with self.tg._lock:
            return self.tg._chats[self.id].type

    @property
    def api(self) -> JsonDict:
        with self.tg._lock:
            return self.tg._chat_api(self.tg._chats[self.id])

    def send(self, user: TgUser, text: str, *, reply_to: MessageRef | None = None) -> MessageView:
        return self.tg.send_message(user, text, chat=self, reply_to=reply_to)

    def messages(self, *, include_deleted: bool = False) -> list[MessageView]:
        return self.tg.messages(self, include_deleted=include_deleted)

    def bot_messages(self) -> list[MessageView]:
        return [m for m in self.messages() if m.from_bot]

    def next_bot_event(
        self, timeout: float = 5.0, *, kinds: Iterable[EventKind] = ALL_KINDS
    ) -> BotEvent:
        return self.tg.next_bot_event(self, timeout, kinds=kinds)

    async def next_bot_event_async(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        kinds: Iterable[EventKind] = ALL_KINDS,
    ) -> BotEvent:
        return await self.tg.next_bot_event_async(self, timeout, kinds=kinds)

    def next_bot_message(self, timeout: float = 5.0) -> MessageView:
        return self.tg.next_bot_message(self, timeout)

    async def next_bot_message_async(self, timeout: float = 5.0) -> MessageView:  # noqa: ASYNC109
        return await self.tg.next_bot_message_async(self, timeout)


class _AwaitedAnswer(Generic[AnswerT]):
    """A query the bot must answer (answerCallbackQuery, answerInlineQuery)."""

    def __init__(
        self, tg: FakeTelegram, query_id: str, answer_of: Callable[[], AnswerT | None], label: str
    ) -> None:
        self.tg = tg
        self.id = query_id
        self._answer_of = answer_of
        self._label = label

    @property
    def answer(self) -> AnswerT | None:
        with self.tg._lock:
            return self._answer_of()

    def wait_answer(self, timeout: float = 5.0) -> AnswerT:
        return self.tg.wait_until(self._answer_of, timeout, self._label)

    async def wait_answer_async(self, timeout: float = 5.0) -> AnswerT:  # noqa: ASYNC109
        return await self.tg.wait_until_async(self._answer_of, timeout, self._label)


class CallbackQuery(_AwaitedAnswer[CallbackAnswer]):
    """A button press; its answer arrives when the bot calls answerCallbackQuery."""

    def __init__(self, tg: FakeTelegram, record: CallbackQueryRecord) -> None:
        label = f"an answer to callback query {record.data!r}"
        super().__init__(tg, record.id, lambda: record.answer, label)
        self.data = record.data


class InlineQuery(_AwaitedAnswer[InlineAnswer]):
    """An inline query; its answer arrives when the bot calls answerInlineQuery."""

    def __init__(self, tg: FakeTelegram, record: InlineQueryRecord) -> None:
        label = f"an answer to inline query {record.query!r}"
        super().__init__(tg, record.id, lambda: record.answer, label)
        self._record = record
        self.query = record.query

    def choose(self, result_id: str, *, chat: ChatRef | None = None) -> MessageView | None:
        """The user picks a result (and, with ``chat``, posts it there via the bot)."""
        return self.tg.choose_inline_result(self._record.user_id, self, result_id, chat=chat)
