"""Faults tests inject: errors and delays for chosen methods."""

from __future__ import annotations

from .models import Fault
from .records import ApiError
from .state import ServerState


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
