"""The control API that tests use: act as Telegram users, read what users see.

Example::

    with FakeTelegram() as tg:
        app = tg.application_builder().build()      # or ApplicationBuilder().token(tg.token)...
        alice = tg.add_user("Alice", username="alice")
        ...  # start the app polling (see tests.botapi.ptb.running)
        alice.send("/start")
        reply = await alice.chat.next_bot_message_async(timeout=5)
        assert reply.text == "Welcome!"
        answer = await alice.press(reply, "Yes").wait_answer_async()

Blocking waits (``next_bot_message``) refuse to run inside a running event loop,
because they would freeze the bot if it runs on that loop; use the ``*_async`` twins.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .handles import (
    ALL_KINDS,
    CallbackQuery,
    ChatRef,
    InlineQuery,
    MessageRef,
    TgChat,
    TgUser,
)
from .models import (
    ApiCall,
    BotEvent,
    ChatAction,
    DocumentView,
    EventKind,
    Fault,
    JsonDict,
    MessageView,
)
from .records import DEFAULT_TOKEN, ChatRecord, Params
from .server import BotApiServer

if TYPE_CHECKING:
    from telegram.ext._applicationbuilder import InitApplicationBuilder

__all__ = ["CallbackQuery", "FakeTelegram", "InlineQuery", "TgChat", "TgUser"]


class FakeTelegram(BotApiServer):
    """A running fake Telegram: the Bot API server plus users, chats and assertions.

    Use as a context manager (or call ``start()``/``stop()``). All methods are
    thread-safe and may be called from the test's event loop.
    """

    def __init__(self, *, token: str = DEFAULT_TOKEN, **kwargs: Any) -> None:
        super().__init__(token=token, **kwargs)
        self._cursors: dict[int, int] = {}

    def __enter__(self) -> FakeTelegram:
        self.start()
        return self

    # ------------------------------------------------------------------ identity

    @property
    def bot_id(self) -> int:
        return self.bot.id

    @property
    def bot_username(self) -> str:
        return self.bot.username or ""

    def application_builder(self) -> InitApplicationBuilder:
        """A PTB ``ApplicationBuilder`` pointed at this server (token and URLs set)."""
        from telegram.ext import ApplicationBuilder

        return (
            ApplicationBuilder()
            .token(self.token)
            .base_url(self.base_url)
            .base_file_url(self.base_file_url)
        )

    # ------------------------------------------------------------------ users and chats

    def add_user(
        self,
        first_name: str = "Alice",
        *,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "en",
        is_bot: bool = False,
    ) -> TgUser:
        """A new user with a private chat with the bot (chat id == user id)."""
        record = self._sim_add_user(
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            is_bot=is_bot,
        )
        return TgUser(self, record.id)

    def add_group(
        self,
        title: str,
        members: Sequence[TgUser],
        *,
        supergroup: bool = True,
        admins: Sequence[TgUser] = (),
        creator: TgUser | None = None,
        bot_is_admin: bool = False,
        username: str | None = None,
    ) -> TgChat:
        """A group or supergroup with ``members`` and the bot in it (creator: first member)."""
        chat = self._sim_add_group(
            title,
            [m.id for m in members],
            supergroup=supergroup,
            username=username,
            admin_ids=[a.id for a in admins],
            creator_id=creator.id if creator else None,
            bot_is_admin=bot_is_admin,
        )
        return TgChat(self, chat.id)

    def chat(self, chat: ChatRef) -> TgChat:
        return TgChat(self, self._chat_id(chat))

    def user(self, user_id: int) -> TgUser:
        with self._lock:
            if user_id not in self._users:
                raise KeyError(f"unknown user {user_id}")
        return TgUser(self, user_id)

    def block_bot(self, user: TgUser, blocked: bool = True) -> None:
        """The user blocks the bot: sending to them fails with 403 Forbidden."""
        with self._lock:
            self._users[user.id].blocked_bot = blocked
            self._changed()

    def set_bot_membership(
        self, chat: ChatRef, *, member: bool = True, admin: bool = False
    ) -> None:
        with self._lock:
            record = self._chats[self._chat_id(chat)]
            record.bot_is_member, record.bot_is_admin = member, admin and member
            self._changed()

    def _chat_id(self, chat: ChatRef) -> int:
        chat_id = chat if isinstance(chat, int) else chat.id
        with self._lock:
            if chat_id not in self._chats:
                raise KeyError(f"unknown chat {chat_id}")
        return chat_id

    def _chat_record(self, chat: ChatRef) -> ChatRecord:
        return self._chats[self._chat_id(chat)]

    # ------------------------------------------------------------------ acting as users

    def send_message(
        self,
        user: TgUser,
        text: str,
        *,
        chat: ChatRef | None = None,
        reply_to: MessageRef | None = None,
        entities: list[JsonDict] | None = None,
        forward_origin: JsonDict | None = None,
    ) -> MessageView:
        """``user`` sends ``text`` (default: in their private chat); commands and mentions
        get ``bot_command``/``mention`` entities as Telegram computes them. With
        ``forward_origin`` (a Bot API MessageOrigin) the message is one they forwarded."""
        chat_id = self._chat_id(chat) if chat is not None else user.id
        msg, _ = self._sim_user_message(
            user.id,
            chat_id,
            text=text,
            entities=entities,
            reply_to=_message_id(reply_to),
            forward_origin=forward_origin,
        )
        with self._lock:
            return self._view(msg)

    def send_document(
        self,
        user: TgUser,
        content: bytes,
        file_name: str = "document.bin",
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        chat: ChatRef | None = None,
        reply_to: MessageRef | None = None,
    ) -> MessageView:
        """``user`` uploads a document; the bot can getFile and download it."""
        if not content:
            raise ValueError("Telegram does not accept empty files")
        chat_id = self._chat_id(chat) if chat is not None else user.id
        msg, _ = self._sim_user_message(
            user.id,
            chat_id,
            document=(content, file_name, mime_type or _guess_mime(file_name)),
            caption=caption,
            reply_to=_message_id(reply_to),
        )
        with self._lock:
            return self._view(msg)

    def send_photo(
        self, user: TgUser, content: bytes, *, caption: str | None = None
    ) -> MessageView:
        """``user`` sends a photo (with a caption) in their private chat."""
        msg, _ = self._sim_user_message(
            user.id,
            user.id,
            document=(content, None, "image/jpeg"),
            caption=caption,
            photo=True,
        )
        with self._lock:
            return self._view(msg)

    def press_button(self, user: TgUser, message: MessageView, button: str) -> CallbackQuery:
        """``user`` presses the callback button (by text, else by callback_data) on the
        message as it currently is; returns a handle for the bot's answer."""
        with self._lock:
            chat = self._chats[message.chat_id]
            current = chat.messages.get(message.message_id)
            if current is None or current.deleted:
                raise LookupError(
                    f"message {message.message_id} no longer exists in chat {chat.id}"
                )
            if chat.type != "private" and user.id not in chat.members:
                raise ValueError(f"{user} is not in chat {chat.id}")
            if chat.type == "private" and chat.user_id != user.id:
                raise ValueError(f"{user} can't see private chat {chat.id}")
            target = self._view(current).button(button)
            if target.callback_data is None:
                raise ValueError(
                    f"button {target.text!r} is a {target.action} button, not a callback button"
                )
            record = self._sim_press_button(
                user.id,
                chat_id=None if current.inline_message_id else chat.id,
                message_id=None if current.inline_message_id else current.message_id,
                inline_message_id=current.inline_message_id,
                data=target.callback_data,
            )
        return CallbackQuery(self, record)

    def send_inline_query(
        self, user: TgUser, query: str, *, offset: str = "", chat_type: str | None = "sender"
    ) -> InlineQuery:
        """``user`` types ``@bot query``; returns a handle for the bot's answer."""
        return InlineQuery(self, self._sim_inline_query(user.id, query, offset, chat_type))

    def choose_inline_result(
        self, user: TgUser | int, query: InlineQuery, result_id: str, *, chat: ChatRef | None = None
    ) -> MessageView | None:
        """``user`` picks an answered result: a ``chosen_inline_result`` update, and with
        ``chat`` the message it posts there (editable by inline_message_id if it has buttons)."""
        user_id = user if isinstance(user, int) else user.id
        msg = self._sim_choose_inline_result(
            user_id, query._record, result_id, self._chat_id(chat) if chat is not None else None
        )
        if msg is None:
            return None
        with self._lock:
            return self._view(msg)

    # ------------------------------------------------------------------ reading what users see

    def messages(self, chat: ChatRef, *, include_deleted: bool = False) -> list[MessageView]:
        """All messages of the chat in their current state, oldest first."""
        with self._lock:
            record = self._chat_record(chat)
            return [
                self._view(m) for m in record.messages.values() if include_deleted or not m.deleted
            ]

    def message(self, chat: ChatRef, message_id: int) -> MessageView:
        with self._lock:
            return self._view(self._chat_record(chat).messages[message_id])

    def bot_events(self, chat: ChatRef | None = None) -> list[BotEvent]:
        """Everything the bot did (sent/edited/deleted), oldest first, optionally per chat."""
        with self._lock:
            if chat is None:
                return list(self._events)
            return list(self._events_by_chat.get(self._chat_id(chat), []))

    def unread_bot_events(self, chat: ChatRef) -> list[BotEvent]:
        """Events after the chat's read cursor, without consuming them."""
        chat_id = self._chat_id(chat)
        with self._lock:
            events = self._events_by_chat.get(chat_id, [])
            return list(events[self._cursors.get(chat_id, 0) :])

    def _take_event(self, chat_id: int, kinds: frozenset[str]) -> BotEvent | None:
        events = self._events_by_chat.get(chat_id, [])
        cursor = self._cursors.get(chat_id, 0)
        while cursor < len(events):
            event = events[cursor]
            cursor += 1
            self._cursors[chat_id] = cursor
            if event.kind in kinds:
                return event
        return None

    def next_bot_event(
        self, chat: ChatRef, timeout: float = 5.0, *, kinds: Iterable[EventKind] = ALL_KINDS
    ) -> BotEvent:
        """The next unread bot event in the chat (events of other kinds are skipped)."""
        chat_id, wanted = self._chat_id(chat), frozenset(kinds)
        return self.wait_until(
            lambda: self._take_event(chat_id, wanted),
            timeout,
            f"a bot {'/'.join(sorted(wanted))} in chat {chat_id}",
        )

    async def next_bot_event_async(
        self,
        chat: ChatRef,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        kinds: Iterable[EventKind] = ALL_KINDS,
    ) -> BotEvent:
        chat_id, wanted = self._chat_id(chat), frozenset(kinds)
        return await self.wait_until_async(
            lambda: self._take_event(chat_id, wanted),
            timeout,
            f"a bot {'/'.join(sorted(wanted))} in chat {chat_id}",
        )

    def next_bot_message(self, chat: ChatRef, timeout: float = 5.0) -> MessageView:
        """The next new message the bot sent in the chat (edits and deletions are skipped)."""
        return self.next_bot_event(chat, timeout, kinds=("message",)).message

    async def next_bot_message_async(self, chat: ChatRef, timeout: float = 5.0) -> MessageView:  # noqa: ASYNC109
        return (await self.next_bot_event_async(chat, timeout, kinds=("message",))).message

    def next_bot_messages(
        self, chat: ChatRef, count: int, timeout: float = 5.0
    ) -> list[MessageView]:
        return [self.next_bot_message(chat, timeout) for _ in range(count)]

    async def next_bot_messages_async(
        self,
        chat: ChatRef,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[MessageView]:
        return [await self.next_bot_message_async(chat, timeout) for _ in range(count)]

    def documents_sent(self, chat: ChatRef | None = None) -> list[DocumentView]:
        """Documents the bot sent (optionally in one chat), with their content."""
        with self._lock:
            chats = [self._chat_record(chat)] if chat is not None else list(self._chats.values())
            return [
                self._files[m.file_id].view()
                for c in chats
                for m in c.messages.values()
                if m.from_bot and m.file_id is not None
            ]

    def chat_actions(self, chat: ChatRef | None = None) -> list[ChatAction]:
        with self._lock:
            chat_id = self._chat_id(chat) if chat is not None else None
            return [a for a in self._chat_actions if chat_id is None or a.chat_id == chat_id]

    def commands(self, scope: JsonDict | None = None, language_code: str = "") -> list[JsonDict]:
        """Commands stored for exactly this scope and language (like getMyCommands)."""
        scope = scope or {"type": "default"}
        chat_id = scope.get("chat_id")
        user_id = scope.get("user_id")
        key = (
            str(scope["type"]),
            int(chat_id) if chat_id is not None else None,
            int(user_id) if user_id is not None else None,
            language_code,
        )
        with self._lock:
            return [dict(c) for c in self._commands.get(key, [])]

    def visible_commands(self, user: TgUser, chat: ChatRef | None = None) -> list[JsonDict]:
        """The command menu ``user`` sees in ``chat`` (default: private chat), resolved
        through scopes and language like Telegram clients do."""
        with self._lock:
            record = self._chat_record(chat) if chat is not None else self._chats[user.id]
            lang = self._users[user.id].language_code or ""
            scopes: list[tuple[str, int | None, int | None]]
            if record.type == "private":
                scopes = [
                    ("chat", record.id, None),
                    ("all_private_chats", None, None),
                    ("default", None, None),
                ]
            else:
                is_admin = user.id in record.admins or user.id == record.creator_id
                scopes = [("chat_member", record.id, user.id)]
                if is_admin:
                    scopes.append(("chat_administrators", record.id, None))
                scopes.append(("chat", record.id, None))
                if is_admin:
                    scopes.append(("all_chat_administrators", None, None))
                scopes += [("all_group_chats", None, None), ("default", None, None)]
            for kind, chat_id, user_id in scopes:
                for code in ([lang] if lang else []) + [""]:
                    found = self._commands.get((kind, chat_id, user_id, code))
                    if found:
                        return [dict(c) for c in found]
            return []

    def menu_button(self, chat: ChatRef | None = None) -> JsonDict:
        with self._lock:
            chat_id = self._chat_id(chat) if chat is not None else None
            return dict(
                self._menu_buttons.get(chat_id)
                or self._menu_buttons.get(None)
                or {"type": "default"}
            )

    def webhook_info(self) -> JsonDict:
        with self._lock:
            return self._get_webhook_info(Params({}, {}))

    def pending_updates(self) -> list[JsonDict]:
        """Updates not yet confirmed by the bot (getUpdates offset) or delivered (webhook)."""
        with self._lock:
            return copy.deepcopy(self._updates)

    def delivered_updates(self) -> list[JsonDict]:
        """Updates the webhook accepted, in the order delivered: to post them again."""
        with self._lock:
            return copy.deepcopy(self._delivered)

    def wait_updates_consumed(self, timeout: float = 5.0) -> None:
        """Wait until the bot has fetched and confirmed every queued update."""
        self.wait_until(
            lambda: True if not self._updates else None, timeout, "the bot to consume all updates"
        )

    async def wait_updates_consumed_async(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        await self.wait_until_async(
            lambda: True if not self._updates else None, timeout, "the bot to consume all updates"
        )

    # ------------------------------------------------------------------ calls and faults

    def call_count(self, method: str) -> int:
        """How many requests reached ``method`` (any case), including rejected ones."""
        with self._lock:
            return sum(n for name, n in self._call_counts.items() if name.lower() == method.lower())

    def call_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._call_counts)

    def calls(self, method: str | None = None) -> list[ApiCall]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method.lower() == method.lower()]

    def rejected_calls(self, *, include_injected: bool = False) -> list[ApiCall]:
        """Calls answered with an error (injected faults excluded unless asked)."""
        with self._lock:
            return [
                c for c in self._calls if c.status != 200 and (include_injected or not c.injected)
            ]

    def assert_no_rejected_calls(self) -> None:
        """Fail if the bot ever sent a request Telegram would reject (bad HTML, too long...)."""
        rejected = self.rejected_calls()
        if rejected:
            details = "\n".join(
                f"  {c.method} -> {c.status} {c.description}\n    {c.params}" for c in rejected
            )
            raise AssertionError(f"{len(rejected)} bot API call(s) were rejected:\n{details}")

    def inject_fault(
        self,
        method: str | Iterable[str] | None = None,
        *,
        count: int = 1,
        status: int | None = 429,
        retry_after: float = 1,
        delay: float = 0.0,
        description: str | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` (a name, names, or None for every
        method, getUpdates included) fail with HTTP ``status`` after hanging ``delay`` s.

        429 answers "Too Many Requests: retry after N" with ``parameters.retry_after``
        (Telegram sends whole seconds; a fraction such as 0.05 keeps tests of retrying
        code, e.g. AIORateLimiter, fast and PTB accepts it); 500/502/503 answer the
        usual descriptions. ``status=None`` with a delay only hangs, then answers normally.
        """
        if isinstance(method, str):
            methods: frozenset[str] | None = frozenset({method.lower()})
        elif method is None:
            methods = None
        else:
            methods = frozenset(m.lower() for m in method)
        with self._lock:
            self._faults.append(Fault(methods, count, status, retry_after, delay, description))
            self._changed()

    def inject_delay(
        self, method: str | Iterable[str] | None, seconds: float, *, count: int = 1
    ) -> None:
        self.inject_fault(method, count=count, status=None, delay=seconds)

    def inject_slow_answer(self, method: str, seconds: float, *, count: int = 1) -> None:
        """The next ``count`` calls of ``method`` take effect at once, but their answer comes
        back only after ``seconds``: a bot cut off meanwhile cannot know its call worked."""
        with self._lock:
            fault = Fault(frozenset({method.lower()}), count, None, 0, 0.0, None, seconds)
            self._faults.append(fault)
            self._changed()

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()


def _message_id(message: MessageRef | None) -> int | None:
    if message is None or isinstance(message, int):
        return message
    return message.message_id


def _guess_mime(file_name: str) -> str:
    import mimetypes

    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"
