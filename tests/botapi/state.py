"""The server's state and what every area of the API shares: the lock and the waits on
it, and users, chats, messages and updates as the Bot API shows them."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from .models import ApiCall, BotEvent, ChatAction, EventKind, Fault, JsonDict, MessageView
from .records import (
    _TOKEN_SHAPE,
    DEFAULT_TOKEN,
    DEFAULT_UPDATE_TYPES,
    ApiError,
    CallbackQueryRecord,
    ChatRecord,
    FileRecord,
    InlineQueryRecord,
    MessageRecord,
    Params,
    T,
    UserRecord,
    WebhookState,
    _AsyncWaiter,
    bad_request,
)


class ServerState:
    """All state, behind one lock; helpers every area of the API uses."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "claimbot_test_bot",
        bot_first_name: str = "ClaimBot Test",
        strict_html: bool = True,
        privacy_mode: bool = False,
        supports_inline_queries: bool = True,
        first_update_id: int = 100_000,
        webhook_retry_delay: float = 0.05,
        chat_messages_per_second: float | None = None,
        messages_per_second: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not _TOKEN_SHAPE.match(token):
            raise ValueError(f"token {token!r} does not look like a bot token")
        self.token = token
        self.strict_html = strict_html
        self.privacy_mode = privacy_mode
        self.supports_inline_queries = supports_inline_queries
        self.webhook_retry_delay = webhook_retry_delay
        # Telegram's per-chat flood limit (about one message a second), if enforced.
        self.chat_messages_per_second = chat_messages_per_second
        self._chat_next_send: dict[str, float] = {}
        # Telegram's limit for the whole bot (about 30 messages a second), if enforced: the
        # sends of the last second, oldest first.
        self.messages_per_second = messages_per_second
        self._recent_sends: collections.deque[float] = collections.deque()
        self._clock = clock
        self.bot = UserRecord(
            id=int(token.split(":", 1)[0]),
            first_name=bot_first_name,
            username=bot_username,
            language_code=None,
            is_bot=True,
        )
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._async_waiters: list[_AsyncWaiter] = []
        self._users: dict[int, UserRecord] = {}
        self._chats: dict[int, ChatRecord] = {}
        self._files: dict[str, FileRecord] = {}
        self._files_by_path: dict[str, FileRecord] = {}
        self._callback_queries: dict[str, CallbackQueryRecord] = {}
        self._inline_queries: dict[str, InlineQueryRecord] = {}
        self._inline_messages: dict[str, tuple[int, int]] = {}
        self._updates: list[JsonDict] = []
        self._delivered: list[JsonDict] = []  # by webhook, in order
        self._next_update_id = first_update_id
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._poll_generation = 0
        self._long_polls_waiting = 0
        self._webhook = WebhookState()
        self._commands: dict[tuple[str, int | None, int | None, str], list[JsonDict]] = {}
        self._menu_buttons: dict[int | None, JsonDict] = {}
        self._bot_texts: dict[tuple[str, str], str] = {}
        self._events: list[BotEvent] = []
        self._events_by_chat: dict[int, list[BotEvent]] = {}
        self._chat_actions: list[ChatAction] = []
        self._calls: list[ApiCall] = []
        self._call_counts: Counter[str] = Counter()
        self._faults: list[Fault] = []
        self._next_user_id = 10_001
        self._next_group_seq = 1
        self._next_file_seq = 1
        self._stopping = False
        self._methods: dict[str, tuple[str, Callable[[Params], Any]]] = {}  # set on start
        # runtime
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self.port: int = 0

    def _changed(self) -> None:
        """Wake every waiter; call with the lock held after any state change."""
        self._cond.notify_all()
        waiters, self._async_waiters = self._async_waiters, []
        for waiter in waiters:
            with contextlib.suppress(RuntimeError):  # the waiter's loop is closed
                waiter.loop.call_soon_threadsafe(waiter.event.set)

    def wait_until(
        self, predicate: Callable[[], T | None], timeout: float, what: str = "condition"
    ) -> T:
        """Block until ``predicate()`` (called with the lock held) returns non-None."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError(
                "a blocking wait inside a running event loop would freeze it (and the bot); "
                "use the *_async variant"
            )
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = predicate()
                if result is not None:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(self._timeout_message(what, timeout))
                self._cond.wait(remaining)

    async def wait_until_async(
        self,
        predicate: Callable[[], T | None],
        timeout: float,  # noqa: ASYNC109
        what: str = "condition",
    ) -> T:
        """Await until ``predicate()`` (called with the lock held) returns non-None."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            waiter = _AsyncWaiter(loop, asyncio.Event())
            with self._lock:
                result = predicate()
                if result is not None:
                    return result
                self._async_waiters.append(waiter)
            remaining = deadline - loop.time()
            if remaining <= 0:
                with self._lock:
                    result = predicate()
                    if result is not None:
                        return result
                    raise TimeoutError(self._timeout_message(what, timeout))
            try:
                await asyncio.wait_for(waiter.event.wait(), remaining)
            except TimeoutError:
                pass
            finally:
                with self._lock:
                    if waiter in self._async_waiters:
                        self._async_waiters.remove(waiter)

    def _timeout_message(self, what: str, timeout: float) -> str:
        rejected = [c for c in self._calls if c.status != 200 and not c.injected]
        lines = [f"timed out after {timeout} s waiting for {what}"]
        if rejected:
            lines.append("rejected bot API calls:")
            lines += [f"  {c.method}: {c.description} params={c.params}" for c in rejected[-5:]]
        lines.append(f"calls so far: {dict(self._call_counts)}")
        return "\n".join(lines)

    def _now(self) -> int:
        return int(self._clock())

    def _user(self, user_id: int) -> UserRecord | None:
        if user_id == self.bot.id:
            return self.bot
        return self._users.get(user_id)

    def _user_api(self, user_id: int) -> JsonDict:
        user = self._user(user_id)
        return user.to_api() if user else {"id": user_id, "is_bot": False, "first_name": ""}

    def _chat_api(self, chat: ChatRecord) -> JsonDict:
        data: JsonDict = {"id": chat.id, "type": chat.type}
        if chat.type == "private":
            user = self._users[chat.user_id or chat.id]
            data["first_name"] = user.first_name
            if user.last_name:
                data["last_name"] = user.last_name
            if user.username:
                data["username"] = user.username
        else:
            data["title"] = chat.title or ""
            if chat.username:
                data["username"] = chat.username
        return data

    def _message_api(self, msg: MessageRecord, *, nested: bool = False) -> JsonDict:
        chat = self._chats[msg.chat_id]
        data: JsonDict = {
            "message_id": msg.message_id,
            "from": self._user_api(msg.from_id),
            "chat": self._chat_api(chat),
            "date": msg.date,
        }
        if msg.reply_to is not None and not nested:
            reply_chat = self._chats.get(msg.reply_to[0])
            target = reply_chat.messages.get(msg.reply_to[1]) if reply_chat else None
            if target is not None and not target.deleted:
                data["reply_to_message"] = self._message_api(target, nested=True)
        if msg.via_bot_id is not None:
            data["via_bot"] = self._user_api(msg.via_bot_id)
        if msg.edit_date is not None:
            data["edit_date"] = msg.edit_date
        if msg.text is not None:
            data["text"] = msg.text
            if msg.entities:
                data["entities"] = msg.entities
            if msg.link_preview_options:
                data["link_preview_options"] = msg.link_preview_options
        if msg.forward_origin is not None:
            data["forward_origin"] = msg.forward_origin
        if msg.file_id is not None and msg.photo:
            size = {**self._files[msg.file_id].document_api(), "width": 640, "height": 480}
            data["photo"] = [{k: size[k] for k in ("file_id", "file_unique_id", "width", "height")}]
        elif msg.file_id is not None:
            data["document"] = self._files[msg.file_id].document_api()
        if msg.caption is not None:
            data["caption"] = msg.caption
            if msg.caption_entities:
                data["caption_entities"] = msg.caption_entities
        if msg.reply_markup is not None:
            data["reply_markup"] = msg.reply_markup
        return data

    def _view(self, msg: MessageRecord) -> MessageView:
        return MessageView(
            chat_id=msg.chat_id,
            message_id=msg.message_id,
            from_id=msg.from_id,
            from_bot=msg.from_bot,
            date=msg.date,
            text=msg.text,
            html=msg.html,
            parse_mode=msg.parse_mode,
            entities=tuple(dict(e) for e in msg.entities),
            caption=msg.caption,
            caption_html=msg.caption_html,
            caption_entities=tuple(dict(e) for e in msg.caption_entities),
            reply_markup=json.loads(json.dumps(msg.reply_markup)) if msg.reply_markup else None,
            reply_keyboard=json.loads(json.dumps(msg.reply_keyboard))
            if msg.reply_keyboard
            else None,
            reply_to_message_id=msg.reply_to[1] if msg.reply_to else None,
            document=self._files[msg.file_id].view() if msg.file_id else None,
            edit_date=msg.edit_date,
            deleted=msg.deleted,
            via_bot_id=msg.via_bot_id,
            inline_message_id=msg.inline_message_id,
            link_preview_options=dict(msg.link_preview_options)
            if msg.link_preview_options
            else None,
            version=msg.version,
        )

    def _record_event(self, kind: EventKind, msg: MessageRecord) -> None:
        event = BotEvent(len(self._events) + 1, kind, self._view(msg))
        self._events.append(event)
        self._events_by_chat.setdefault(msg.chat_id, []).append(event)

    def _new_message(self, chat: ChatRecord, from_id: int, **fields: Any) -> MessageRecord:
        msg = MessageRecord(
            chat_id=chat.id,
            message_id=chat.next_message_id,
            from_id=from_id,
            from_bot=from_id == self.bot.id,
            date=self._now(),
            **fields,
        )
        chat.next_message_id += 1
        chat.messages[msg.message_id] = msg
        return msg

    def _enqueue_update(self, kind: str, payload: JsonDict) -> JsonDict | None:
        """Queue an update unless ``allowed_updates`` filters it out (as Telegram does)."""
        if kind not in self._allowed_updates:
            return None
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._updates.append(update)
        return update

    def _new_file(
        self, content: bytes, file_name: str | None, mime_type: str | None, owner_id: int
    ) -> FileRecord:
        seq = self._next_file_seq
        self._next_file_seq += 1
        unique = f"AgAD{seq:06d}"
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        record = FileRecord(
            file_id=f"BQACAgIAAxkBAAI{seq:06d}{secrets.token_hex(8)}",
            file_unique_id=unique,
            content=content,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"documents/file_{seq}{suffix}",
            owner_id=owner_id,
        )
        self._files[record.file_id] = record
        self._files_by_path[record.file_path] = record
        return record

    def _resolve_chat(
        self, params: Params, name: str = "chat_id", *, required: bool = True
    ) -> ChatRecord:
        raw = params.values.get(name)
        if raw is None or raw == "":
            raise bad_request(f"{name} is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            for chat in self._chats.values():
                if (
                    chat.username
                    and chat.username.lower() == raw[1:].lower()
                    and chat.type != "private"
                ):
                    return chat
            raise bad_request("chat not found")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        found = self._chats.get(chat_id)
        if found is None:
            raise bad_request("chat not found")
        return found

    def _check_can_send(self, chat: ChatRecord) -> None:
        if chat.type == "private":
            user = self._users[chat.user_id or chat.id]
            if user.blocked_bot:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
        elif not chat.bot_is_member:
            kind = "supergroup" if chat.type == "supergroup" else "group"
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")

    def _resolve_user_api(self, user_id: int) -> JsonDict | None:
        user = self._user(user_id)
        return user.to_api() if user else None
