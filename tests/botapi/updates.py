"""Updates: getUpdates long polls, the webhook (setWebhook, deleteWebhook, getWebhookInfo)
and the loop that delivers updates to it."""

from __future__ import annotations

import asyncio
import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from .models import JsonDict
from .records import (
    ALL_UPDATE_TYPES,
    DEFAULT_UPDATE_TYPES,
    ApiError,
    Params,
    WebhookState,
    _AsyncWaiter,
    bad_request,
)
from .state import ServerState


class UpdatesApi(ServerState):
    """getUpdates and webhooks."""

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
                    self._delivered.append(update)
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


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
