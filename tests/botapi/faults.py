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
        limit allows; else None, and the send counts."""
        rate = self.chat_messages_per_second
        chat = params.get_str("chat_id") if method in CHAT_SENDS else None
        if rate is None or chat is None:
            return None
        with self._lock:
            now = self._clock()
            allowed_at = self._chat_next_send.get(chat, now)
            if allowed_at > now:
                wait = math.ceil(allowed_at - now)
                return ApiError(
                    429, f"Too Many Requests: retry after {wait}", {"retry_after": wait}
                )
            self._chat_next_send[chat] = now + 1 / rate
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
