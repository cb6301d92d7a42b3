"""Real `claimbot` processes for deployment tests: each against a local Bot API server."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.botapi import FakeTelegram, MessageView, TgChat
from tests.conftest import _free_port

CLAIMBOT = str(Path(sys.executable).with_name("claimbot"))
WEBHOOK_SECRET = "test-webhook-secret_0123456789"


def claimbot_environment(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a `claimbot` command: this one's, with only the given settings."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMBOT_")}
    environment["CLAIMBOT_DATABASE_URL"] = database_url
    environment |= {f"CLAIMBOT_{name.upper()}": value for name, value in settings.items()}
    return environment


class BotProcess:
    """`claimbot run` (polling, or `--webhook` on a free port) with JSON logs to a file."""

    def __init__(
        self,
        tg: FakeTelegram,
        database_url: str,
        log_path: Path,
        *,
        webhook: bool = False,
        **settings: str,
    ) -> None:
        self.tg = tg
        self.webhook = webhook
        self.log_path = log_path
        self.port = _free_port() if webhook else None
        settings = {
            "token": tg.token,
            "bot_api_url": tg.base_url,
            "bot_api_file_url": tg.base_file_url,
            "log_format": "json",
            "log_level": "DEBUG",
        } | settings
        if webhook:
            settings |= {
                "webhook_url": f"http://127.0.0.1:{self.port}/telegram",
                "webhook_port": str(self.port),
                "webhook_secret": WEBHOOK_SECRET,
            }
        self._environment = claimbot_environment(database_url, **settings)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> "BotProcess":
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [CLAIMBOT, "run", *(["--webhook"] if self.webhook else [])],
                env=self._environment,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.alive, f"claimbot exited:\n{self.log_path.read_text()}"
            if self.webhook:
                # Registered last, so its own URL: another replica's may be there before.
                registered = self.tg.webhook_info().get("url") == self.url("/telegram")
                if registered and self.health()[0] == 200:
                    return
            elif self.tg.long_polls_waiting > 0:
                return
            time.sleep(0.05)
        raise TimeoutError(f"claimbot did not get ready:\n{self.log_path.read_text()}")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def url(self, path: str) -> str:
        assert self.port is not None, "only a webhook process serves HTTP"
        return f"http://127.0.0.1:{self.port}{path}"

    def metrics_url(self) -> str:
        """Where Prometheus scrapes it: the webhook's address, or its own metrics port."""
        if self.webhook:
            return self.url("/metrics")
        return f"http://127.0.0.1:{self._environment['CLAIMBOT_METRICS_PORT']}/metrics"

    def health(self) -> tuple[int, dict[str, Any]]:
        return http(self.url("/healthz"))

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)

    def log_entries(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line]


def http(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    try:
        return status, json.loads(body)
    except ValueError:
        return status, {"text": body.decode(errors="replace")}


def replies(chat: TgChat, timeout: float = 10) -> list[MessageView]:
    """The next bot message in a chat and any that follow it at once."""
    found = [chat.next_bot_message(timeout=timeout)]
    while True:
        try:
            found.append(chat.next_bot_message(timeout=0.5))
        except TimeoutError:
            return found
