"""A PostgreSQL server of a test's own, which the test may stop and start again."""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import IN_CI, _as_server_user, _free_port, _postgres_bin_dir


class PostgresServer:
    """initdb, then pg_ctl start/stop on a fixed port, so clients reconnect to the same URL."""

    def __init__(self) -> None:
        bin_dir = _postgres_bin_dir()
        if bin_dir is None:
            message = "PostgreSQL server binaries not found (install postgresql to run these tests)"
            if IN_CI:
                pytest.fail(message)
            pytest.skip(message)
        self._bin = bin_dir
        self._prefix = _as_server_user()
        self._workdir = Path(tempfile.mkdtemp(prefix="claimbot-pg-own-"))
        self._data, self._sockets = self._workdir / "data", self._workdir / "sockets"
        self._sockets.mkdir()
        if self._prefix:
            user = pwd.getpwnam("postgres")
            for path in (self._workdir, self._sockets):
                os.chown(path, user.pw_uid, user.pw_gid)
        self.port = _free_port()
        self._run(
            "initdb",
            "-D",
            str(self._data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self._prefix, str(self._bin / program), *args], check=True, capture_output=True
        )

    def start(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self._data),
            "-l",
            str(self._workdir / "log"),
            "-w",
            "-o",
            f"-p {self.port} -k {self._sockets} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends every session at once, as an outage or a failover does."""
        self._run("pg_ctl", "-D", str(self._data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        pg_ctl = str(self._bin / "pg_ctl")
        stop = [*self._prefix, pg_ctl, "-D", str(self._data), "-m", "immediate", "stop"]
        subprocess.run(stop, capture_output=True)
        shutil.rmtree(self._workdir, ignore_errors=True)
