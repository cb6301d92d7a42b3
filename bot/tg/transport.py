"""How replies reach Telegram, at the least CPU per reply (figures from tests/load).

PTB's own HTTPXRequest posts parameters as an urlencoded form, and `urllib.parse` encodes
a ~3 KB card page byte by byte in Python: 0.2 ms a reply. The Bot API takes a JSON body
as well, which the C encoder writes in 15 µs. Uploads (moderators' exports) stay
multipart forms.

Telegram answers every sent message with the whole message, entities included, and PTB
turns that into a `Message`: 0.4 ms for a card page with its ~30 entities, more than
matching the question and rendering the card together. Answers never read it back, so
`reply_html` leaves it unparsed; polling stores updates as Telegram sent them
(`call_raw`) rather than turning PTB's objects back into JSON. A broadcast to followers
encodes its message once and posts it to each chat as it is (`post_encoded`).
"""

import time
import warnings
from collections import deque
from collections.abc import Mapping
from typing import Any

import httpx
from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import BaseRequest, RequestData
from telegram.warnings import PTBUserWarning

# Requests to Telegram at once, and the HTTP connections kept for them: at 30 messages a
# second and ~150 ms a round trip about 5 are busy. httpx checks every pooled connection
# and every waiting request each time one is assigned, so a burst queued inside httpx, or
# a big pool, cost more CPU than the replies themselves (measured: tests/load): the rest
# of a burst waits on a semaphore in the rate limiter instead.
CONNECTIONS = 8
USER_AGENT = "claimbot (python-telegram-bot, httpx)"
JSON_BODY = {"Content-Type": "application/json"}


class SendWindow:
    """The messages sent into chats in the last second, as Telegram counts them against
    the bot's ~30: the answers' are noted, so that the notification sender leaves them room."""

    def __init__(self) -> None:
        self._times: deque[float] = deque()

    def note(self) -> None:
        self._times.append(time.monotonic())

    def count(self) -> int:
        horizon = time.monotonic() - 1
        while self._times and self._times[0] <= horizon:
            self._times.popleft()
        return len(self._times)


class JsonBodyRequest(BaseRequest):
    """PTB's transport to the Bot API, posting JSON instead of urlencoded forms."""

    def __init__(
        self,
        connections: int = CONNECTIONS,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 15.0,
        write_timeout: float = 15.0,
        pool_timeout: float = 10.0,
    ) -> None:
        self._timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=write_timeout, pool=pool_timeout
        )
        self._limits = httpx.Limits(
            max_connections=connections, max_keepalive_connections=connections
        )
        self._client = self._new_client()

    def _new_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=self._timeout, limits=self._limits, headers={"User-Agent": USER_AGENT}
        )

    @property
    def read_timeout(self) -> float | None:
        return self._timeout.read

    async def initialize(self) -> None:
        if self._client.is_closed:
            self._client = self._new_client()

    async def shutdown(self) -> None:
        if not self._client.is_closed:
            await self._client.aclose()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        timeout = httpx.Timeout(
            connect=_given(connect_timeout, self._timeout.connect),
            read=_given(read_timeout, self._timeout.read),
            write=_given(write_timeout, self._timeout.write),
            pool=_given(pool_timeout, self._timeout.pool),
        )
        if request_data is None:
            return await self._request(method, url, timeout=timeout)
        if request_data.contains_files:
            return await self._request(
                method,
                url,
                timeout=timeout,
                data=request_data.json_parameters,
                files=request_data.multipart_data,
            )
        return await self._request(
            method, url, timeout=timeout, content=request_data.json_payload, headers=JSON_BODY
        )

    async def post_encoded(self, url: str, body: bytes) -> None:
        """POST a JSON body encoded beforehand (a broadcast encodes its message once, not
        once a chat), leaving Telegram's answer unread when it is a success; else raise
        the error PTB would (`RetryAfter`, `Forbidden`, `BadRequest`, `NetworkError`)."""
        status, content = await self._request("POST", url, content=body, headers=JSON_BODY)
        if status == 200:
            return
        answer = self.parse_json_payload(content)
        description = str(answer.get("description") or f"HTTP {status}")
        retry_after = (answer.get("parameters") or {}).get("retry_after")
        if retry_after:
            raise RetryAfter(retry_after)
        if status == 403:
            raise Forbidden(description)
        if status == 400:
            raise BadRequest(description)
        raise NetworkError(description)

    async def _request(self, method: str, url: str, **arguments: Any) -> tuple[int, bytes]:
        try:
            response = await self._client.request(method, url, **arguments)
        except httpx.PoolTimeout as error:
            raise TimedOut("no free connection to Telegram; the request was not sent") from error
        except httpx.TimeoutException as error:
            raise TimedOut from error
        except httpx.HTTPError as error:
            raise NetworkError(f"httpx.{type(error).__name__}: {error}") from error
        return response.status_code, response.content


def _given(value: object, default: float | None) -> float | None:
    """A timeout a call asked for, or this request's own when it left it to the default."""
    if isinstance(value, float | int) or value is None:
        return value
    return default


# `do_api_request` asks callers to prefer the typed methods; `call_raw` wants exactly what
# they would parse, unparsed.
warnings.filterwarnings(
    "ignore",
    message=r"Please use 'Bot\.(send_message|get_updates)'",
    category=PTBUserWarning,
)


async def call_raw(
    bot: Bot, method: str, payload: dict[str, Any], read_timeout: float | None = None
) -> Any:
    """Call a Bot API method through PTB (its rate limiter and retries included) and
    return the result as Telegram sent it, without making PTB objects of it."""
    if read_timeout is None:
        return await bot.do_api_request(method, api_kwargs=payload)
    return await bot.do_api_request(method, api_kwargs=payload, read_timeout=read_timeout)


async def reply_html(
    message: Message, html: str, buttons: Mapping[str, Any] | None, *, quote: bool
) -> None:
    """Send `html` to the chat of `message` like `Message.reply_html` (without a link
    preview, quoting `message` if asked), without parsing the copy Telegram returns.
    `buttons` is the reply markup as the Bot API takes it (`InlineKeyboardMarkup.to_dict`)."""
    payload: dict[str, Any] = {
        "chat_id": message.chat_id,
        "text": html,
        "parse_mode": ParseMode.HTML,
        "link_preview_options": {"is_disabled": True},
    }
    if message.is_topic_message and message.message_thread_id is not None:
        payload["message_thread_id"] = message.message_thread_id
    if quote:
        payload["reply_parameters"] = {"message_id": message.message_id}
    if buttons is not None:
        payload["reply_markup"] = buttons
    await call_raw(message.get_bot(), "send_message", payload)


async def edit_html(message: Message, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    """Show `text` (Telegram HTML, without a link preview) and `keyboard` in `message`."""
    try:
        await message.edit_text(
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
    except BadRequest as error:
        # Pressing the same button twice asks for the text the message already has.
        if "not modified" not in error.message:
            raise
