"""Shared fixtures: real databases (a SQLite file and a throwaway PostgreSQL server), and the
local Bot API server with the bot running against it for end-to-end tests (a module may
override `bot` with its own set-up)."""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application

from bot.moderation.service import ModerationService
from db.bootstrap import initialise
from db.engine import make_engine, make_session_factory
from tests.botapi import FakeTelegram
from tests.e2e import copy_seeded_sqlite, running_bot
from tests.moderating import ADMIN, MOD, OTHER_MOD

REPO = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI") == "true"


def _postgres_bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    candidates = [Path(found).parent] if found else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "postgres").exists():
            return directory
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user() -> list[str]:
    """PostgreSQL refuses to run as root: CI runs as root, so drop to the postgres user."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A PostgreSQL server for the whole run: CLAIMBOT_TEST_POSTGRES_URL, or one we start."""
    given = os.environ.get("CLAIMBOT_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    bin_dir = _postgres_bin_dir()
    if bin_dir is None:
        message = "PostgreSQL server binaries not found (install postgresql to run these tests)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    workdir = Path(tempfile.mkdtemp(prefix="claimbot-pg-"))
    data, sockets = workdir / "data", workdir / "sockets"
    sockets.mkdir()
    prefix = _as_server_user()
    if prefix:
        user = pwd.getpwnam("postgres")
        for path in (workdir, sockets):
            os.chown(path, user.pw_uid, user.pw_gid)
    port = _free_port()
    run = {"check": True, "capture_output": True}
    subprocess.run(
        [
            *prefix,
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        **run,  # type: ignore[call-overload]
    )
    subprocess.run(
        [
            *prefix,
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(workdir / "log"),
            "-w",
            "-o",
            f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        ],
        **run,  # type: ignore[call-overload]
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)


def _fresh_postgres_database(admin_url: str, template: str | None = None) -> str:
    name = f"claimbot_test_{uuid.uuid4().hex[:12]}"
    clause = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"{clause}')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


NewDatabase = Callable[[], str]


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> NewDatabase:
    """Makes empty databases of one kind: SQLite files, or new PostgreSQL databases."""
    if request.param == "sqlite":
        return lambda: f"sqlite:///{tmp_path / uuid.uuid4().hex[:8]}.db"
    admin_url = request.getfixturevalue("postgres_admin_url")
    return lambda: _fresh_postgres_database(admin_url)


@pytest.fixture
def database_url(new_database: NewDatabase) -> str:
    return new_database()


def _seed_into(url: str) -> None:
    engine = make_engine(url)
    initialise(engine, make_session_factory(engine))
    engine.dispose()


@pytest.fixture(scope="session")
def seeded_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "seeded.db"
    _seed_into(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def seeded_postgres_template(postgres_admin_url: str) -> str:
    url = _fresh_postgres_database(postgres_admin_url)
    _seed_into(url)
    return url.rsplit("/", 1)[1]


@pytest.fixture
def seeded_database_url(
    request: pytest.FixtureRequest, new_database: NewDatabase, tmp_path: Path
) -> str:
    """A migrated database holding the seed data, copied from one seeded once per run."""
    if "sqlite" in request.node.callspec.params.get("new_database", ""):
        copy = tmp_path / f"seeded-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(request.getfixturevalue("seeded_sqlite_template"), copy)
        return f"sqlite:///{copy}"
    template = request.getfixturevalue("seeded_postgres_template")
    return _fresh_postgres_database(request.getfixturevalue("postgres_admin_url"), template)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def seeded(seeded_database_url: str) -> Iterator[sessionmaker[Session]]:
    """A database migrated and loaded with the bundled seed data."""
    engine = make_engine(seeded_database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def refreshed() -> list[set[str]]:
    """The event slugs the `service` fixture's changes asked to refresh, change by change."""
    return []


@pytest.fixture
def service(seeded: sessionmaker[Session], refreshed: list[set[str]]) -> ModerationService:
    """Moderation on the seeded database, with MOD and OTHER_MOD granted by ADMIN."""
    moderation = ModerationService(seeded, {ADMIN}, lambda slugs: refreshed.append(set(slugs)))
    moderation.grant(ADMIN, MOD)
    moderation.grant(ADMIN, OTHER_MOD)
    return moderation


@pytest.fixture(scope="module")
def tg() -> Iterator[FakeTelegram]:
    """The local Bot API server, one per test module."""
    with FakeTelegram() as server:
        yield server


@pytest.fixture(scope="module")
def bot(
    tg: FakeTelegram,
    seeded_sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Application[Any, Any, Any, Any, Any, Any]]:
    """The bot on a copy of the seeded SQLite database, answering through `tg`."""
    url = copy_seeded_sqlite(seeded_sqlite_template, tmp_path_factory.mktemp("bot"))
    with running_bot(tg, url) as application:
        yield application


@pytest.fixture
def nothing_rejected(tg: FakeTelegram) -> Iterator[None]:
    """Every call the bot made during the test was one Telegram would take."""
    yield
    tg.assert_no_rejected_calls()
