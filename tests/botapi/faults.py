"""Faults: errors and delays tests inject for chosen methods, and Telegram's per-chat
flood limit (429 with retry_after), when the server is made to enforce it."""

from __future__ import annotations

import math

from .models import Fault
from .records import ApiError, Params
from .state import ServerState

# Methods that send a message into a chat, which Telegram's per-chat limit counts.
CHAT_SENDS = frozenset({"sendMessage", "sendDocument"})


class Faults(ServerState):
    """Injected faults, taken one call at a time."""

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _flood_limited(self, method: str, params: Params) -> ApiError | None:
        """A 429 if this send comes sooner after the chat's previous one than the per-chat
        limit allows, or when the bot already sent its limit of messages in the last
        second; else None, and the send counts."""
        rate, overall = self.chat_messages_per_second, self.messages_per_second
        chat = params.get_str("chat_id") if method in CHAT_SENDS else None
        if chat is None or (rate is None and overall is None):
            return None
        with self._lock:
            now = self._clock()
            recent = self._recent_sends
            while recent and recent[0] <= now - 1:
                recent.popleft()
            if overall is not None and len(recent) >= overall:
                return _too_many(recent[0] + 1 - now)
            allowed_at = self._chat_next_send.get(chat, now)
            if rate is not None and allowed_at > now:
                return _too_many(allowed_at - now)
            if rate is not None:
                self._chat_next_send[chat] = now + 1 / rate
            if overall is not None:
                recent.append(now)
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


def _too_many(seconds: float) -> ApiError:
    """Telegram's 429, with the wait in whole seconds as Telegram gives it."""
    wait = max(1, math.ceil(seconds))
    return ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
