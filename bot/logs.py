"""Logs: plain text for people or one JSON object a line for collectors, never the token.

Every line written while an update is handled carries its update id: the id lives in a
context variable, which asyncio tasks and `asyncio.to_thread` workers inherit.
"""

import contextvars
import datetime as dt
import json
import logging
import sys
from collections.abc import Iterable
from typing import Any, Literal

log = logging.getLogger(__name__)

current_update_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "current_update_id", default=None
)

LogFormat = Literal["text", "json"]
REDACTED = "[REDACTED]"


class _Redactor:
    """Removes secrets from a formatted line, whatever library put them there."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = tuple(s for s in secrets if s)

    def __call__(self, line: str) -> str:
        for secret in self._secrets:
            line = line.replace(secret, REDACTED)
        return line


class TextFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(update)s: %(message)s")
        self._redact = _Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        update_id = current_update_id.get()
        record.update = f" [update {update_id}]" if update_id is not None else ""
        return self._redact(super().format(record))


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._redact = _Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        update_id = current_update_id.get()
        if update_id is not None:
            entry["update_id"] = update_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return self._redact(json.dumps(entry, ensure_ascii=False, default=str))


def setup_logging(level: str, log_format: LogFormat, secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(secrets) if log_format == "json" else TextFormatter(secrets))
    logging.basicConfig(level=level, handlers=[handler])
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # aiohttp's access log would add a line per webhook request; the update line says more.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
