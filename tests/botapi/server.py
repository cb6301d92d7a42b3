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

The Bot API's methods are grouped by area, one module each: ``updates.py``,
``messages.py``, ``queries.py`` (callback and inline queries), ``files.py``, ``chats.py``
(chats and the bot's settings), ``faults.py``, ``simulation.py`` (users' actions);
``state.py`` and ``content.py`` hold what they share, ``records.py`` the records.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from .chats import ChatsApi
from .faults import Faults
from .files import FilesApi
from .messages import MessagesApi
from .models import ApiCall, JsonDict
from .queries import QueriesApi
from .records import (
    _LOGGER,
    _TOKEN_SHAPE,
    DEFAULT_TOKEN,
    MAX_UPLOAD_BYTES,
    ApiError,
    Params,
    Upload,
    bad_request,
)
from .simulation import Simulation
from .updates import UpdatesApi

__all__ = ["DEFAULT_TOKEN", "ApiError", "BotApiServer"]


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


class BotApiServer(UpdatesApi, MessagesApi, QueriesApi, FilesApi, ChatsApi, Simulation, Faults):
    """The fake Bot API: HTTP endpoints, in-memory state and the background thread."""

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
        self._methods = self._method_table()
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
        limited = self._flood_limited(method, params)
        if limited is not None:
            # Telegram's answer to a bot sending too fast, not a mistake of the bot's.
            self._record_call(method, params, limited, injected=True)
            return self._error_response(limited)
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
        if fault is not None and fault.answer_delay > 0:
            await asyncio.sleep(fault.answer_delay)
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
