"""A real `claimbot web` process on a free port, for the web site's tests and load script."""

import json
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import _free_port
from tests.deployment import CLAIMBOT, claimbot_environment


@contextmanager
def running_site(database_url: str, log_path: Path, **settings: str) -> Iterator[str]:
    """`claimbot web` serving `database_url`; yields its base URL once /healthz says ok."""
    port = _free_port()
    environment = claimbot_environment(
        database_url, web_host="127.0.0.1", web_port=str(port), **settings
    )
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [CLAIMBOT, "web"], env=environment, stdout=subprocess.DEVNULL, stderr=log
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while fetch(base + "/healthz")[0] != 200:
            assert process.poll() is None, f"claimbot web exited:\n{log_path.read_text()}"
            assert time.monotonic() < deadline, f"not ready:\n{log_path.read_text()}"
            time.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, log_path.read_text()


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, str]:
    """(status, body, content type) of a GET; (0, b"", "") while nothing listens."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), response.headers.get_content_type()
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get_content_type()
    except (urllib.error.URLError, ConnectionError):
        return 0, b"", ""


def fetch_json(url: str) -> tuple[int, Any]:
    status, body, kind = fetch(url)
    assert kind == "application/json", (status, body[:200])
    return status, json.loads(body)
