"""A local Telegram Bot API server for end-to-end tests (aiohttp, loopback only).

It serves ``/bot<token>/<method>`` and ``/file/bot<token>/<path>`` like
api.telegram.org, keeps chats, messages, files and updates in memory and rejects
what Telegram rejects. :class:`BotApiServer` runs it in a background thread with
its own event loop; :class:`tests.botapi.client.FakeTelegram` adds the API that
tests use to act as users and to read what users see.

Threading: all state lives behind one ``threading.RLock``. HTTP handlers run on
the server's loop and hold the lock only briefly (never across an ``await``); test
code may call in from any thread or loop. Every change notifies a
``threading.Condition`` and every registered asyncio waiter, so waits never poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import ipaddress
import json
import logging
import re
import secrets
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from .html import (
    EntityParseError,
    find_auto_entities,
    merge_entities,
    parse_html,
    strip_formatted,
    utf16_len,
)
from .models import (
    BUTTON_ACTIONS,
    ApiCall,
    BotEvent,
    CallbackAnswer,
    ChatAction,
    DocumentView,
    EventKind,
    Fault,
    InlineAnswer,
    JsonDict,
    MessageView,
)

__all__ = ["DEFAULT_TOKEN", "ApiError", "BotApiServer"]

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_TOKEN = "7000000001:AAtest-claimbot_TOKEN_0123456789abcdef"
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_RESULTS = 50
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
ALL_UPDATE_TYPES = DEFAULT_UPDATE_TYPES | {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


class ApiError(Exception):
    """An error answer: HTTP status = error_code, Telegram's description."""

    def __init__(self, status: int, description: str, parameters: JsonDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


# --------------------------------------------------------------------------- records


@dataclass
class UserRecord:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False
    blocked_bot: bool = False

    def to_api(self) -> JsonDict:
        data: JsonDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data


@dataclass
class FileRecord:
    file_id: str
    file_unique_id: str
    content: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str
    owner_id: int

    def view(self) -> DocumentView:
        return DocumentView(
            self.file_id,
            self.file_unique_id,
            self.file_name,
            self.mime_type,
            self.content,
            self.file_path,
        )

    def document_api(self) -> JsonDict:
        data: JsonDict = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }
        if self.file_name:
            data["file_name"] = self.file_name
        if self.mime_type:
            data["mime_type"] = self.mime_type
        return data


@dataclass
class MessageRecord:
    chat_id: int
    message_id: int
    from_id: int
    from_bot: bool
    date: int
    text: str | None = None
    entities: list[JsonDict] = field(default_factory=list)
    html: str | None = None
    parse_mode: str | None = None
    caption: str | None = None
    caption_entities: list[JsonDict] = field(default_factory=list)
    caption_html: str | None = None
    reply_markup: JsonDict | None = None
    reply_keyboard: JsonDict | None = None
    reply_to: tuple[int, int] | None = None
    file_id: str | None = None
    edit_date: int | None = None
    deleted: bool = False
    via_bot_id: int | None = None
    inline_message_id: str | None = None
    link_preview_options: JsonDict | None = None
    version: int = 0


@dataclass
class ChatRecord:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    user_id: int | None = None  # private chats: the user
    members: list[int] = field(default_factory=list)
    admins: set[int] = field(default_factory=set)
    creator_id: int | None = None
    bot_is_admin: bool = False
    bot_is_member: bool = True
    next_message_id: int = 1
    messages: dict[int, MessageRecord] = field(default_factory=dict)


@dataclass
class CallbackQueryRecord:
    id: str
    user_id: int
    data: str | None
    chat_id: int | None
    message_id: int | None
    inline_message_id: str | None
    answer: CallbackAnswer | None = None


@dataclass
class InlineQueryRecord:
    id: str
    user_id: int
    query: str
    offset: str
    chat_type: str | None
    answer: InlineAnswer | None = None


@dataclass
class WebhookState:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class Upload:
    filename: str | None
    content_type: str | None
    content: bytes


class Params:
    """Request parameters from the query string, a form, multipart or a JSON body."""

    def __init__(self, values: dict[str, Any], files: dict[str, Upload]) -> None:
        self.values = values
        self.files = files

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "") or name in self.files

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def get_int(self, name: str, error: str | None = None) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            try:
                as_float = float(value)
            except (TypeError, ValueError):
                raise bad_request(error or f"invalid {name} specified") from None
            if as_float.is_integer():
                return int(as_float)
            raise bad_request(error or f"invalid {name} specified") from None

    def get_float(self, name: str) -> float | None:
        value = self.values.get(name)
        if value in (None, ""):
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def get_bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        if value is None:
            return False
        return str(value).strip().lower() in ("true", "1", "yes", "on")

    def get_json(self, name: str, what: str | None = None) -> Any:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {what or name} JSON object") from None
        return value

    def loggable(self) -> JsonDict:
        data: JsonDict = dict(self.values)
        for name, upload in self.files.items():
            data[name] = f"<file {upload.filename!r}, {len(upload.content)} bytes>"
        return data


@dataclass
class _AsyncWaiter:
    loop: asyncio.AbstractEventLoop
    event: asyncio.Event


# --------------------------------------------------------------------------- server


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


class BotApiServer:
    """The fake Bot API: HTTP endpoints, in-memory state and the background thread."""

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
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not _TOKEN_SHAPE.match(token):
            raise ValueError(f"token {token!r} does not look like a bot token")
        self.token = token
        self.strict_html = strict_html
        self.privacy_mode = privacy_mode
        self.supports_inline_queries = supports_inline_queries
        self.webhook_retry_delay = webhook_retry_delay
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
        self._methods = self._method_table()
        # runtime
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self.port: int = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)`` (PTB appends the token)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)`` (PTB appends the token)."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def api_url(self) -> str:
        """``base_url`` with the token, for plain HTTP clients: f"{api_url}/getMe"."""
        return f"{self.base_url}{self.token}"

    @property
    def long_polls_waiting(self) -> int:
        """How many getUpdates requests are currently parked waiting for an update."""
        with self._lock:
            return self._long_polls_waiting

    def start(self) -> None:
        """Start serving on a free loopback port in a background thread."""
        if self._thread is not None:
            raise RuntimeError("server already started")
        self._stopping = False
        self._start_error = None
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name="fake-telegram-bot-api", daemon=True)
        self._thread.start()
        if not self._ready.wait(15):
            raise RuntimeError("fake Bot API server did not start within 15 s")
        if self._start_error is not None:
            raise RuntimeError("fake Bot API server failed to start") from self._start_error

    def stop(self) -> None:
        """Stop the server and join its thread (idempotent)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with self._lock:
            self._stopping = True
            self._changed()
        if loop.is_running():
            loop.call_soon_threadsafe(loop.stop)
        thread.join(15)
        self._thread = None
        self._loop = None

    def __enter__(self) -> BotApiServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._astart())
        except BaseException as exc:
            self._start_error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._astop())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _astart(self) -> None:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(
            app, shutdown_timeout=0.5, handler_cancellation=True, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_loop())

    async def _astop(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._webhook_task
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ notification

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

    # ------------------------------------------------------------------ HTTP layer

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        method_name = request.match_info["method"]
        if token != self.token:
            status = 401 if _TOKEN_SHAPE.match(token) else 404
            return self._error_response(
                ApiError(status, "Unauthorized" if status == 401 else "Not Found")
            )
        try:
            params = await self._read_params(request)
        except ApiError as exc:
            return self._error_response(exc)
        entry = self._methods.get(method_name.lower())
        if entry is None:
            error = ApiError(404, "Not Found")
            self._record_call(method_name, params, error, injected=False)
            return self._error_response(error)
        method, handler = entry
        fault = self._take_fault(method)
        if fault is not None:
            if fault.delay > 0:
                await asyncio.sleep(fault.delay)
            if fault.status is not None:
                error = self._fault_error(fault)
                self._record_call(method, params, error, injected=True)
                return self._error_response(error)
        if inspect.iscoroutinefunction(handler):
            try:
                result = await handler(params)
            except Exception as exc:  # every failure becomes an answer
                error = self._as_api_error(method, exc)
                # A long poll whose bot already hung up (it stopped, or gave up waiting) and
                # was then ended by its successor's poll: nobody receives this answer.
                if not _client_gone(request):
                    self._record_call(method, params, error, injected=False)
                return self._error_response(error)
            self._record_call(method, params, None, injected=False)
            return web.json_response({"ok": True, "result": result})
        # Synchronous methods change state and record the call in one locked step, so a
        # test woken by the change already sees the call in the log.
        with self._lock:
            try:
                result = handler(params)
            except Exception as exc:  # every failure becomes an answer
                error = self._as_api_error(method, exc)
                self._record_call(method, params, error, injected=False)
                return self._error_response(error)
            self._record_call(method, params, None, injected=False)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _as_api_error(method: str, exc: Exception) -> ApiError:
        if isinstance(exc, ApiError):
            return exc
        _LOGGER.error("fake Bot API: %s crashed", method, exc_info=exc)
        return ApiError(500, f"Internal Server Error: test server bug in {method}: {exc!r}")

    async def _read_params(self, request: web.Request) -> Params:
        values: dict[str, Any] = dict(request.query)
        files: dict[str, Upload] = {}
        if request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad_request("can't parse JSON encoded request body") from None
                if isinstance(body, dict):
                    values.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = Upload(value.filename, value.content_type, value.file.read())
                    else:
                        values[key] = value
        return Params(values, files)

    def _error_response(self, error: ApiError) -> web.Response:
        body: JsonDict = {"ok": False, "error_code": error.status, "description": error.description}
        if error.parameters:
            body["parameters"] = error.parameters
        return web.json_response(body, status=error.status)

    def _record_call(
        self, method: str, params: Params, error: ApiError | None, *, injected: bool
    ) -> None:
        with self._lock:
            self._call_counts[method] += 1
            self._calls.append(
                ApiCall(
                    method=method,
                    params=params.loggable(),
                    status=200 if error is None else error.status,
                    description=None if error is None else error.description,
                    injected=injected,
                    time=self._clock(),
                )
            )
            self._changed()

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    @staticmethod
    def _fault_error(fault: Fault) -> ApiError:
        status = fault.status or 500
        if status == 429:
            return ApiError(
                429,
                fault.description or f"Too Many Requests: retry after {fault.retry_after:g}",
                {"retry_after": fault.retry_after},
            )
        default = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        return ApiError(status, fault.description or default.get(status, "Internal Server Error"))

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        path = request.match_info["path"]
        with self._lock:
            record = self._files_by_path.get(path) if token == self.token else None
            if record is not None:
                self._call_counts["<file download>"] += 1
                self._changed()
        if record is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(
            body=record.content, content_type=record.mime_type or "application/octet-stream"
        )

    # ------------------------------------------------------------------ state helpers

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
        if msg.file_id is not None:
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

    # ------------------------------------------------------------------ validation helpers

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

    def _format(
        self,
        text: str | None,
        parse_mode: str | None,
        entities: Any,
        *,
        caption: bool = False,
    ) -> tuple[str, list[JsonDict]]:
        """Validate a text/caption as Telegram does; returns (visible text, entities)."""
        limit = MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH
        text = text or ""
        if not text and not caption:
            raise bad_request("message text is empty")
        mode = (parse_mode or "").strip().lower()
        if mode == "html":
            try:
                parsed = parse_html(
                    text, strict=self.strict_html, resolve_user=self._resolve_user_api
                )
            except EntityParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
            visible, ents = parsed.text, parsed.entities
        elif mode in ("", "none"):
            visible, ents = text, self._explicit_entities(entities, text)
        elif mode in ("markdown", "markdownv2"):
            # Not validated by this test server: the text is stored as sent.
            visible, ents = text, []
        else:
            raise bad_request("unsupported parse_mode")
        stripped = strip_formatted(visible, ents)
        visible, ents = stripped.text, stripped.entities
        if not visible and not caption:
            raise bad_request("message text is empty")
        if utf16_len(visible) > limit:
            raise bad_request("message caption is too long" if caption else "message is too long")
        ents = merge_entities(ents, find_auto_entities(visible, ents))
        return visible, ents

    def _resolve_user_api(self, user_id: int) -> JsonDict | None:
        user = self._user(user_id)
        return user.to_api() if user else None

    @staticmethod
    def _explicit_entities(entities: Any, text: str) -> list[JsonDict]:
        if entities is None:
            return []
        if not isinstance(entities, list):
            raise bad_request("can't parse entities JSON object")
        total = utf16_len(text)
        result: list[JsonDict] = []
        for entity in entities:
            if not isinstance(entity, dict) or not isinstance(entity.get("type"), str):
                raise bad_request("can't parse MessageEntity: Can't find field \"type\"")
            offset, length = entity.get("offset"), entity.get("length")
            if not isinstance(offset, int) or not isinstance(length, int):
                raise bad_request(
                    'can\'t parse MessageEntity: Field "offset" must be of type Number'
                )
            if offset < 0 or length <= 0 or offset + length > total:
                continue
            result.append(dict(entity))
        return sorted(result, key=lambda e: (e["offset"], -e["length"]))

    def _parse_reply_markup(
        self, params: Params, *, inline_only: bool = False
    ) -> tuple[JsonDict | None, JsonDict | None]:
        """(inline keyboard markup, other markup) from ``reply_markup``."""
        markup = params.get_json("reply_markup", "reply keyboard markup")
        if markup is None:
            return None, None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            return self._validate_inline_keyboard(markup), None
        if inline_only:
            raise bad_request("can't parse inline keyboard markup JSON object")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request(
                    'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
                )
            for row in rows:
                for button in row:
                    label = button if isinstance(button, str) else (button or {}).get("text")
                    if not isinstance(label, str) or not label:
                        raise bad_request("can't parse keyboard button: Text must be non-empty")
            return None, markup
        if markup.get("remove_keyboard") or markup.get("force_reply"):
            return None, markup
        raise bad_request("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _validate_inline_keyboard(markup: JsonDict) -> JsonDict:
        rows = markup.get("inline_keyboard")
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                if not isinstance(button, dict):
                    raise bad_request(
                        "can't parse inline keyboard button: "
                        "InlineKeyboardButton should be an Object"
                    )
                if "text" not in button:
                    raise bad_request(
                        "can't parse inline keyboard button: Can't find field \"text\""
                    )
                for name in (
                    "text",
                    "url",
                    "callback_data",
                    "switch_inline_query",
                    "switch_inline_query_current_chat",
                ):
                    if name in button and not isinstance(button[name], str):
                        raise bad_request(
                            "can't parse inline keyboard button: "
                            f'Field "{name}" must be of type String'
                        )
                if not button["text"].strip():
                    raise bad_request("can't parse inline keyboard button: Text must be non-empty")
                actions = [a for a in BUTTON_ACTIONS if a in button]
                if not actions:
                    raise bad_request(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                if len(actions) > 1:
                    raise bad_request(
                        "can't parse inline keyboard button: exactly one of the optional "
                        f"fields must be used, found {', '.join(actions)}"
                    )
                if "callback_data" in button:
                    size = len(button["callback_data"].encode("utf-8"))
                    if size == 0 or size > MAX_CALLBACK_DATA_BYTES:
                        raise bad_request("BUTTON_DATA_INVALID")
                if "url" in button:
                    url = button["url"].lower()
                    if not url.startswith(("http://", "https://", "tg://")) or len(url) < 9:
                        raise bad_request("BUTTON_URL_INVALID")
        return {"inline_keyboard": rows}

    def _resolve_reply(self, chat: ChatRecord, params: Params) -> tuple[int, int] | None:
        reply = params.get_json("reply_parameters")
        if reply is not None:
            if not isinstance(reply, dict) or not isinstance(reply.get("message_id"), int):
                raise bad_request("can't parse reply parameters JSON object")
            message_id = reply["message_id"]
            allow = bool(reply.get("allow_sending_without_reply"))
            target_chat = chat
            if reply.get("chat_id") not in (None, chat.id):
                other = (
                    self._chats.get(int(reply["chat_id"]))
                    if str(reply["chat_id"]).lstrip("-").isdigit()
                    else None
                )
                if other is None:
                    raise bad_request("chat not found")
                target_chat = other
        elif params.has("reply_to_message_id"):
            message_id = params.get_int("reply_to_message_id") or 0
            allow = params.get_bool("allow_sending_without_reply")
            target_chat = chat
        else:
            return None
        target = target_chat.messages.get(message_id)
        if target is None or target.deleted:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return target_chat.id, message_id

    @staticmethod
    def _link_preview(params: Params) -> JsonDict | None:
        options = params.get_json("link_preview_options")
        if options is not None:
            if not isinstance(options, dict):
                raise bad_request("can't parse link preview options JSON object")
            return dict(options)
        if params.has("disable_web_page_preview"):
            return {"is_disabled": params.get_bool("disable_web_page_preview")}
        return None

    def _message_for_edit(self, params: Params) -> tuple[MessageRecord, bool]:
        """(message, is_inline) addressed by chat_id+message_id or inline_message_id."""
        inline_id = params.get_str("inline_message_id")
        if inline_id:
            location = self._inline_messages.get(inline_id)
            if location is None:
                raise bad_request("MESSAGE_ID_INVALID")
            return self._chats[location[0]].messages[location[1]], True
        chat = self._resolve_chat(params)
        message_id = params.get_int("message_id", "message to edit not found")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted:
            raise bad_request("message to edit not found")
        if not msg.from_bot:
            raise bad_request("message can't be edited")
        return msg, False

    def _edit_result(self, msg: MessageRecord, is_inline: bool) -> Any:
        msg.edit_date = self._now()
        msg.version += 1
        self._record_event("edit", msg)
        return True if is_inline else self._message_api(msg)

    def _scope_key(self, params: Params) -> tuple[str, int | None, int | None]:
        scope = params.get_json("scope", "BotCommandScope")
        if scope is None:
            return "default", None, None
        if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
            raise bad_request("can't parse BotCommandScope JSON object: unsupported scope type")
        kind = str(scope["type"])
        chat_id: int | None = None
        user_id: int | None = None
        if kind in ("chat", "chat_administrators", "chat_member"):
            raw = scope.get("chat_id")
            chat: ChatRecord | None = None
            if isinstance(raw, str) and raw.startswith("@"):
                chat = next((c for c in self._chats.values() if c.username == raw[1:]), None)
            elif raw is not None:
                try:
                    chat = self._chats.get(int(raw))
                except (TypeError, ValueError):
                    chat = None
            if chat is None:
                raise bad_request("chat not found")
            chat_id = chat.id
            if kind == "chat_member":
                try:
                    user_id = int(scope.get("user_id"))  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    raise bad_request("invalid user_id specified") from None
                if user_id not in chat.members and user_id != chat.user_id:
                    raise bad_request("user not found")
        return kind, chat_id, user_id

    def _language(self, params: Params) -> str:
        code = params.get_str("language_code") or ""
        if code and not re.fullmatch(r"[a-z]{2}", code):
            raise bad_request("invalid language code specified")
        return code

    # ------------------------------------------------------------------ API methods

    def _method_table(self) -> dict[str, tuple[str, Callable[[Params], Any]]]:
        methods: dict[str, Callable[[Params], Any]] = {
            "getMe": self._get_me,
            "logOut": lambda p: True,
            "close": lambda p: True,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendDocument": self._send_document,
            "getFile": self._get_file,
            "sendChatAction": self._send_chat_action,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "getChatMemberCount": self._get_chat_member_count,
            "setMyDescription": lambda p: self._set_bot_text("description", p),
            "getMyDescription": lambda p: {"description": self._get_bot_text("description", p)},
            "setMyShortDescription": lambda p: self._set_bot_text("short_description", p),
            "getMyShortDescription": lambda p: {
                "short_description": self._get_bot_text("short_description", p)
            },
            "setMyName": lambda p: self._set_bot_text("name", p),
            "getMyName": lambda p: {"name": self._get_bot_text("name", p) or self.bot.first_name},
        }
        return {name.lower(): (name, handler) for name, handler in methods.items()}

    def _get_me(self, params: Params) -> JsonDict:
        return {
            **self.bot.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": self.supports_inline_queries,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: Params) -> list[JsonDict]:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._webhook.url:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            offset = params.get_int("offset") or 0
            limit = params.get_int("limit")
            limit = 100 if limit is None or limit <= 0 else min(limit, 100)
            timeout = max(params.get_float("timeout") or 0.0, 0.0)
            allowed = params.get_json("allowed_updates")
            if allowed is not None:
                if not isinstance(allowed, list):
                    raise bad_request("can't parse allowed updates JSON object")
                self._set_allowed_updates(allowed)
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif offset < 0:
                self._updates = self._updates[offset:]
            self._poll_generation += 1
            generation = self._poll_generation
            self._changed()
        deadline = loop.time() + timeout
        waiting = False
        try:
            while True:
                waiter = _AsyncWaiter(loop, asyncio.Event())
                with self._lock:
                    if generation != self._poll_generation:
                        raise ApiError(
                            409,
                            "Conflict: terminated by other getUpdates request; "
                            "make sure that only one bot instance is running",
                        )
                    if self._updates or self._stopping or loop.time() >= deadline:
                        return [dict(u) for u in self._updates[:limit]]
                    self._async_waiters.append(waiter)
                    if not waiting:
                        waiting = True
                        self._long_polls_waiting += 1
                        self._changed()
                try:
                    await asyncio.wait_for(waiter.event.wait(), deadline - loop.time())
                except TimeoutError:
                    pass
                finally:
                    with self._lock:
                        if waiter in self._async_waiters:
                            self._async_waiters.remove(waiter)
        finally:
            if waiting:
                with self._lock:
                    self._long_polls_waiting -= 1
                    self._changed()

    def _set_allowed_updates(self, allowed: list[Any]) -> None:
        if not allowed:
            self._allowed_updates = DEFAULT_UPDATE_TYPES
        else:
            self._allowed_updates = frozenset(str(a) for a in allowed) & ALL_UPDATE_TYPES

    def _set_webhook(self, params: Params) -> bool:
        url = params.get_str("url") or ""
        if url:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise bad_request("bad webhook: Wrong HTTP URL specified")
            if parts.scheme == "http" and not _is_loopback(parts.hostname):
                raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get_str("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        allowed = params.get_json("allowed_updates")
        if isinstance(allowed, list):
            self._set_allowed_updates(allowed)
        self._webhook = WebhookState(
            url=url,
            secret_token=secret,
            max_connections=params.get_int("max_connections") or 40,
            ip_address=params.get_str("ip_address"),
        )
        self._poll_generation += 1  # a pending getUpdates ends with a conflict
        return True

    def _delete_webhook(self, params: Params) -> bool:
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        self._webhook = WebhookState()
        return True

    def _get_webhook_info(self, params: Params) -> JsonDict:
        info: JsonDict = {
            "url": self._webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook.url:
            info["max_connections"] = self._webhook.max_connections
            if self._allowed_updates != DEFAULT_UPDATE_TYPES:
                info["allowed_updates"] = sorted(self._allowed_updates)
            if self._webhook.ip_address:
                info["ip_address"] = self._webhook.ip_address
            if self._webhook.last_error_date is not None:
                info["last_error_date"] = self._webhook.last_error_date
                info["last_error_message"] = self._webhook.last_error_message
        return info

    def _send_message(self, params: Params) -> JsonDict:
        chat = self._resolve_chat(params)
        self._check_can_send(chat)
        raw = params.get_str("text")
        parse_mode = params.get_str("parse_mode")
        text, entities = self._format(raw, parse_mode, params.get_json("entities"))
        inline, other = self._parse_reply_markup(params)
        reply_to = self._resolve_reply(chat, params)
        msg = self._new_message(
            chat,
            self.bot.id,
            text=text,
            entities=entities,
            html=raw,
            parse_mode=parse_mode,
            reply_markup=inline,
            reply_keyboard=other,
            reply_to=reply_to,
            link_preview_options=self._link_preview(params),
        )
        self._record_event("message", msg)
        return self._message_api(msg)

    def _edit_message_text(self, params: Params) -> Any:
        msg, is_inline = self._message_for_edit(params)
        if msg.text is None:
            raise bad_request("there is no text in the message to edit")
        raw = params.get_str("text")
        parse_mode = params.get_str("parse_mode")
        text, entities = self._format(raw, parse_mode, params.get_json("entities"))
        inline, _ = self._parse_reply_markup(params, inline_only=True)
        preview = self._link_preview(params)
        if text == msg.text and entities == msg.entities and inline == msg.reply_markup:
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        msg.text, msg.entities, msg.html, msg.parse_mode = text, entities, raw, parse_mode
        msg.reply_markup = inline
        if preview is not None:
            msg.link_preview_options = preview
        return self._edit_result(msg, is_inline)

    def _edit_message_caption(self, params: Params) -> Any:
        msg, is_inline = self._message_for_edit(params)
        if msg.file_id is None:
            raise bad_request("there is no caption in the message to edit")
        raw = params.get_str("caption")
        parse_mode = params.get_str("parse_mode")
        caption, entities = self._format(
            raw, parse_mode, params.get_json("caption_entities"), caption=True
        )
        inline, _ = self._parse_reply_markup(params, inline_only=True)
        if (
            (caption or None) == msg.caption
            and entities == msg.caption_entities
            and inline == msg.reply_markup
        ):
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        msg.caption, msg.caption_entities, msg.caption_html = caption or None, entities, raw
        msg.reply_markup = inline
        return self._edit_result(msg, is_inline)

    def _edit_message_reply_markup(self, params: Params) -> Any:
        msg, is_inline = self._message_for_edit(params)
        inline, _ = self._parse_reply_markup(params, inline_only=True)
        if inline == msg.reply_markup:
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        msg.reply_markup = inline
        return self._edit_result(msg, is_inline)

    def _delete_one(self, chat: ChatRecord, message_id: int | None) -> MessageRecord:
        msg = chat.messages.get(message_id or 0)
        if msg is None or msg.deleted:
            raise bad_request("message to delete not found")
        if not msg.from_bot and chat.type != "private" and not chat.bot_is_admin:
            raise bad_request("message can't be deleted")
        return msg

    def _delete_message(self, params: Params) -> bool:
        chat = self._resolve_chat(params)
        msg = self._delete_one(chat, params.get_int("message_id", "message to delete not found"))
        msg.deleted = True
        self._record_event("delete", msg)
        return True

    def _delete_messages(self, params: Params) -> bool:
        chat = self._resolve_chat(params)
        ids = params.get_json("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must be a non-empty list of at most 100 identifiers")
        deleted = 0
        for message_id in ids:
            msg = chat.messages.get(int(message_id))
            if msg is None or msg.deleted:
                continue
            if not msg.from_bot and chat.type != "private" and not chat.bot_is_admin:
                continue
            msg.deleted = True
            self._record_event("delete", msg)
            deleted += 1
        if not deleted:
            raise bad_request("message to delete not found")
        return True

    def _answer_callback_query(self, params: Params) -> bool:
        query_id = params.get_str("callback_query_id") or ""
        query = self._callback_queries.get(query_id)
        if query is None or query.answer is not None:
            raise bad_request(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        text = params.get_str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answer = CallbackAnswer(
            text=text,
            show_alert=params.get_bool("show_alert"),
            url=params.get_str("url"),
            cache_time=params.get_int("cache_time") or 0,
        )
        return True

    def _answer_inline_query(self, params: Params) -> bool:
        query_id = params.get_str("inline_query_id") or ""
        query = self._inline_queries.get(query_id)
        if query is None or query.answer is not None:
            raise bad_request(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        results = params.get_json("results", "inline query results")
        if not isinstance(results, list):
            raise bad_request("can't parse inline query results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            if not isinstance(result, dict):
                raise bad_request(
                    "can't parse inline query result: InlineQueryResult should be an Object"
                )
            if "type" not in result:
                raise bad_request("can't parse inline query result: Can't find field \"type\"")
            if "id" not in result:
                raise bad_request("can't parse inline query result: Can't find field \"id\"")
            result_id = str(result["id"])
            if not result_id or len(result_id.encode("utf-8")) > 64:
                raise bad_request("RESULT_ID_INVALID")
            if result_id in seen:
                raise bad_request("RESULT_ID_DUPLICATE")
            seen.add(result_id)
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                self._format(
                    str(content["message_text"]), content.get("parse_mode"), content.get("entities")
                )
            if "reply_markup" in result:
                if not isinstance(result["reply_markup"], dict):
                    raise bad_request("can't parse inline keyboard markup JSON object")
                self._validate_inline_keyboard(result["reply_markup"])
        button = params.get_json("button")
        query.answer = InlineAnswer(
            results=results,
            cache_time=params.get_int("cache_time") or 300,
            is_personal=params.get_bool("is_personal"),
            next_offset=params.get_str("next_offset") or "",
            button=button if isinstance(button, dict) else None,
        )
        return True

    def _set_my_commands(self, params: Params) -> bool:
        commands = params.get_json("commands", "bot commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse bot commands JSON object")
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        clean: list[JsonDict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand: BotCommand should be an Object")
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not _COMMAND_RE.match(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": name, "description": description})
        key = (*self._scope_key(params), self._language(params))
        if clean:
            self._commands[key] = clean
        else:
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, params: Params) -> list[JsonDict]:
        key = (*self._scope_key(params), self._language(params))
        return [dict(c) for c in self._commands.get(key, [])]

    def _delete_my_commands(self, params: Params) -> bool:
        key = (*self._scope_key(params), self._language(params))
        self._commands.pop(key, None)
        return True

    def _send_document(self, params: Params) -> JsonDict:
        chat = self._resolve_chat(params)
        self._check_can_send(chat)
        record = self._input_file(params, "document")
        raw_caption = params.get_str("caption")
        parse_mode = params.get_str("parse_mode")
        caption, caption_entities = self._format(
            raw_caption, parse_mode, params.get_json("caption_entities"), caption=True
        )
        inline, other = self._parse_reply_markup(params)
        reply_to = self._resolve_reply(chat, params)
        msg = self._new_message(
            chat,
            self.bot.id,
            file_id=record.file_id,
            caption=caption or None,
            caption_entities=caption_entities,
            caption_html=raw_caption,
            parse_mode=parse_mode,
            reply_markup=inline,
            reply_keyboard=other,
            reply_to=reply_to,
        )
        self._record_event("message", msg)
        return self._message_api(msg)

    def _input_file(self, params: Params, name: str) -> FileRecord:
        upload = params.files.get(name)
        value = params.get_str(name)
        if upload is None and value and value.startswith("attach://"):
            upload = params.files.get(value[len("attach://") :])
        if upload is not None:
            if not upload.content:
                raise bad_request("file must be non-empty")
            if len(upload.content) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            return self._new_file(upload.content, upload.filename, upload.content_type, self.bot.id)
        if not value:
            raise bad_request(f"there is no {name} in the request")
        if value.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        record = self._files.get(value)
        if record is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return record

    def _get_file(self, params: Params) -> JsonDict:
        record = self._files.get(params.get_str("file_id") or "")
        if record is None:
            raise bad_request("invalid file_id")
        if len(record.content) > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "file_size": len(record.content),
            "file_path": record.file_path,
        }

    def _send_chat_action(self, params: Params) -> bool:
        chat = self._resolve_chat(params)
        self._check_can_send(chat)
        action = params.get_str("action") or ""
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._chat_actions.append(ChatAction(chat.id, action, self._clock()))
        return True

    def _set_chat_menu_button(self, params: Params) -> bool:
        chat_id: int | None = None
        if params.has("chat_id"):
            chat = self._resolve_chat(params)
            if chat.type != "private":
                raise bad_request("chat must be a private chat")
            chat_id = chat.id
        button = params.get_json("menu_button", "menu button")
        if button is None:
            button = {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise bad_request("can't parse menu button JSON object")
        if button["type"] == "web_app" and (
            not isinstance(button.get("text"), str) or not isinstance(button.get("web_app"), dict)
        ):
            raise bad_request("can't parse menu button JSON object")
        self._menu_buttons[chat_id] = dict(button)
        return True

    def _get_chat_menu_button(self, params: Params) -> JsonDict:
        chat_id = self._resolve_chat(params).id if params.has("chat_id") else None
        return dict(
            self._menu_buttons.get(chat_id) or self._menu_buttons.get(None) or {"type": "default"}
        )

    def _get_chat(self, params: Params) -> JsonDict:
        chat = self._resolve_chat(params)
        return {**self._chat_api(chat), "accent_color_id": 0, "max_reaction_count": 11}

    def _member_api(self, chat: ChatRecord, user_id: int) -> JsonDict:
        user = self._user_api(user_id)
        if user_id == self.bot.id:
            status = (
                "administrator"
                if chat.bot_is_admin
                else ("member" if chat.bot_is_member else "left")
            )
        elif chat.type == "private":
            status = "member" if user_id == chat.user_id else "left"
        elif user_id == chat.creator_id:
            status = "creator"
        elif user_id in chat.admins:
            status = "administrator"
        elif user_id in chat.members:
            status = "member"
        else:
            status = "left"
        data: JsonDict = {"status": status, "user": user}
        if status == "creator":
            data["is_anonymous"] = False
        if status == "administrator":
            rights = [
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_promote_members",
                "can_change_info",
                "can_invite_users",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
                "can_pin_messages",
            ]
            data.update(
                {"can_be_edited": False, "is_anonymous": False, **dict.fromkeys(rights, True)}
            )
        return data

    def _get_chat_member(self, params: Params) -> JsonDict:
        chat = self._resolve_chat(params)
        user_id = params.get_int("user_id")
        if user_id is None or self._user(user_id) is None:
            raise bad_request("user not found")
        return self._member_api(chat, user_id)

    def _get_chat_administrators(self, params: Params) -> list[JsonDict]:
        chat = self._resolve_chat(params)
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        ids = sorted({*chat.admins, *([chat.creator_id] if chat.creator_id else [])})
        if chat.bot_is_admin:
            ids.append(self.bot.id)
        return [self._member_api(chat, user_id) for user_id in ids]

    def _get_chat_member_count(self, params: Params) -> int:
        chat = self._resolve_chat(params)
        if chat.type == "private":
            return 2
        return len(chat.members) + (1 if chat.bot_is_member else 0)

    def _set_bot_text(self, kind: str, params: Params) -> bool:
        value = params.get_str(kind) or ""
        limits = {"description": 512, "short_description": 120, "name": 64}
        if len(value) > limits[kind]:
            raise bad_request(f"{kind.upper()}_INVALID")
        key = (kind, self._language(params))
        if value:
            self._bot_texts[key] = value
        else:
            self._bot_texts.pop(key, None)
        return True

    def _get_bot_text(self, kind: str, params: Params) -> str:
        return self._bot_texts.get((kind, self._language(params)), "")

    # ------------------------------------------------------------------ webhook delivery

    async def _webhook_loop(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self.webhook_retry_delay
        while True:
            waiter = _AsyncWaiter(loop, asyncio.Event())
            with self._lock:
                url, secret = self._webhook.url, self._webhook.secret_token
                update = dict(self._updates[0]) if url and self._updates else None
                if update is None:
                    self._async_waiters.append(waiter)
            if update is None:
                await waiter.event.wait()
                continue
            error = await self._deliver(url, secret, update)
            with self._lock:
                if error is None:
                    delay = self.webhook_retry_delay
                    if self._updates and self._updates[0]["update_id"] == update["update_id"]:
                        self._updates.pop(0)
                else:
                    self._webhook.last_error_date = self._now()
                    self._webhook.last_error_message = error
                self._changed()
            if error is not None:
                await asyncio.sleep(delay)  # retry back-off, as Telegram does
                delay = min(delay * 2, 2.0)

    async def _deliver(self, url: str, secret: str | None, update: JsonDict) -> str | None:
        host = urlsplit(url).hostname or ""
        if not _is_loopback(host):
            return "Delivery is disabled: the test server only posts to loopback addresses"
        assert self._session is not None
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        try:
            async with self._session.post(url, json=update, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return f"Connection failed: {exc!r}"

    # ------------------------------------------------------------------ simulation primitives

    def _sim_add_user(
        self,
        first_name: str,
        *,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
        is_bot: bool,
    ) -> UserRecord:
        with self._lock:
            user = UserRecord(
                id=self._next_user_id,
                first_name=first_name,
                last_name=last_name,
                username=username,
                language_code=language_code,
                is_bot=is_bot,
            )
            self._next_user_id += 1
            self._users[user.id] = user
            self._chats[user.id] = ChatRecord(
                id=user.id, type="private", user_id=user.id, members=[user.id]
            )
            self._changed()
            return user

    def _sim_add_group(
        self,
        title: str,
        member_ids: list[int],
        *,
        supergroup: bool,
        username: str | None,
        admin_ids: list[int],
        creator_id: int | None,
        bot_is_admin: bool,
    ) -> ChatRecord:
        with self._lock:
            seq = self._next_group_seq
            self._next_group_seq += 1
            chat_id = -(1_000_000_000_000 + seq) if supergroup else -(4_000_000 + seq)
            for user_id in member_ids:
                if user_id not in self._users:
                    raise KeyError(f"unknown user {user_id}")
            chat = ChatRecord(
                id=chat_id,
                type="supergroup" if supergroup else "group",
                title=title,
                username=username,
                members=list(member_ids),
                admins=set(admin_ids),
                creator_id=creator_id
                if creator_id is not None
                else (member_ids[0] if member_ids else None),
                bot_is_admin=bot_is_admin,
            )
            self._chats[chat_id] = chat
            self._changed()
            return chat

    def _sim_user_message(
        self,
        user_id: int,
        chat_id: int,
        *,
        text: str | None = None,
        entities: list[JsonDict] | None = None,
        reply_to: int | None = None,
        document: tuple[bytes, str | None, str | None] | None = None,
        caption: str | None = None,
        caption_entities: list[JsonDict] | None = None,
    ) -> tuple[MessageRecord, JsonDict | None]:
        with self._lock:
            chat = self._chats[chat_id]
            if chat.type != "private" and user_id not in chat.members:
                raise ValueError(f"user {user_id} is not a member of chat {chat_id}")
            if chat.type == "private" and chat.user_id != user_id:
                raise ValueError(f"chat {chat_id} is the private chat of another user")
            reply: tuple[int, int] | None = None
            if reply_to is not None:
                target = chat.messages.get(reply_to)
                if target is None or target.deleted:
                    raise LookupError(f"no message {reply_to} in chat {chat_id}")
                reply = (chat_id, reply_to)
            fields: dict[str, Any] = {"reply_to": reply}
            if text is not None:
                fields["text"] = text
                fields["entities"] = entities if entities is not None else find_auto_entities(text)
            if document is not None:
                content, file_name, mime_type = document
                record = self._new_file(content, file_name, mime_type, user_id)
                fields["file_id"] = record.file_id
                if caption:
                    fields["caption"] = caption
                    fields["caption_entities"] = (
                        caption_entities
                        if caption_entities is not None
                        else find_auto_entities(caption)
                    )
            msg = self._new_message(chat, user_id, **fields)
            update = None
            if self._bot_sees(chat, msg):
                update = self._enqueue_update("message", self._message_api(msg))
            self._changed()
            return msg, update

    def _bot_sees(self, chat: ChatRecord, msg: MessageRecord) -> bool:
        """Privacy mode: in groups the bot only gets commands for it and replies to it."""
        if chat.type == "private":
            return True
        if not chat.bot_is_member:
            return False
        if not self.privacy_mode or chat.bot_is_admin:
            return True
        if msg.reply_to is not None:
            target = self._chats[msg.reply_to[0]].messages.get(msg.reply_to[1])
            if target is not None and target.from_bot:
                return True
        text = msg.text if msg.text is not None else (msg.caption or "")
        entities = msg.entities if msg.text is not None else msg.caption_entities
        bot_name = (self.bot.username or "").lower()
        for entity in entities:
            if entity["type"] != "bot_command":
                continue
            from .html import utf16_slice

            command = utf16_slice(text, entity["offset"], entity["length"])
            if "@" not in command or command.split("@", 1)[1].lower() == bot_name:
                return True
        return False

    def _sim_press_button(
        self,
        user_id: int,
        *,
        chat_id: int | None,
        message_id: int | None,
        inline_message_id: str | None,
        data: str,
    ) -> CallbackQueryRecord:
        with self._lock:
            query = CallbackQueryRecord(
                id=str(secrets.randbits(62)),
                user_id=user_id,
                data=data,
                chat_id=chat_id,
                message_id=message_id,
                inline_message_id=inline_message_id,
            )
            payload: JsonDict = {
                "id": query.id,
                "from": self._user_api(user_id),
                "chat_instance": str(zlib.crc32(str(chat_id or inline_message_id).encode())),
                "data": data,
            }
            if inline_message_id is not None:
                payload["inline_message_id"] = inline_message_id
            else:
                assert chat_id is not None and message_id is not None
                payload["message"] = self._message_api(self._chats[chat_id].messages[message_id])
            self._callback_queries[query.id] = query
            self._enqueue_update("callback_query", payload)
            self._changed()
            return query

    def _sim_inline_query(
        self, user_id: int, query: str, offset: str, chat_type: str | None
    ) -> InlineQueryRecord:
        with self._lock:
            record = InlineQueryRecord(
                id=str(secrets.randbits(62)),
                user_id=user_id,
                query=query,
                offset=offset,
                chat_type=chat_type,
            )
            payload: JsonDict = {
                "id": record.id,
                "from": self._user_api(user_id),
                "query": query,
                "offset": offset,
            }
            if chat_type:
                payload["chat_type"] = chat_type
            self._inline_queries[record.id] = record
            self._enqueue_update("inline_query", payload)
            self._changed()
            return record

    def _sim_choose_inline_result(
        self, user_id: int, query: InlineQueryRecord, result_id: str, chat_id: int | None
    ) -> MessageRecord | None:
        with self._lock:
            if query.answer is None:
                raise LookupError("the bot has not answered this inline query")
            result = next((r for r in query.answer.results if str(r.get("id")) == result_id), None)
            if result is None:
                ids = [r.get("id") for r in query.answer.results]
                raise LookupError(f"no inline result {result_id!r}; ids: {ids}")
            markup = result.get("reply_markup")
            inline_message_id = secrets.token_urlsafe(18) if markup else None
            msg: MessageRecord | None = None
            if chat_id is not None:
                chat = self._chats[chat_id]
                content = result.get("input_message_content") or {}
                fields: dict[str, Any] = {
                    "via_bot_id": self.bot.id,
                    "inline_message_id": inline_message_id,
                }
                if "message_text" in content:
                    text, entities = self._format(
                        str(content["message_text"]),
                        content.get("parse_mode"),
                        content.get("entities"),
                    )
                    fields.update(
                        text=text,
                        entities=entities,
                        html=content["message_text"],
                        parse_mode=content.get("parse_mode"),
                    )
                else:
                    fields.update(text=str(result.get("title", "")), entities=[])
                if markup:
                    fields["reply_markup"] = markup
                msg = self._new_message(chat, user_id, **fields)
                if inline_message_id is not None:
                    self._inline_messages[inline_message_id] = (chat.id, msg.message_id)
            payload: JsonDict = {
                "result_id": result_id,
                "from": self._user_api(user_id),
                "query": query.query,
            }
            if inline_message_id is not None:
                payload["inline_message_id"] = inline_message_id
            self._enqueue_update("chosen_inline_result", payload)
            if msg is not None and self._chats[msg.chat_id].bot_is_member:
                # Messages sent via the bot reach it (even in privacy mode).
                self._enqueue_update("message", self._message_api(msg))
            self._changed()
            return msg


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
