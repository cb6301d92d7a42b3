"""The `claimbot` command as a user runs it, against real SQLite and PostgreSQL databases."""

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy
import yaml

from db.engine import make_engine, make_session_factory, unit_of_work
from db.follows import follow
from db.models import Event, Notification
from tests.conftest import NewDatabase

CLAIMBOT = Path(sys.executable).with_name("claimbot")


def run(
    *args: str, database_url: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("CLAIMBOT_")
    }
    environment |= {"CLAIMBOT_DATABASE_URL": database_url, **(env or {})}
    return subprocess.run(
        [str(CLAIMBOT), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'fresh' / 'claimbot.db'}"


def test_ask_json_answers_makiivka_with_every_death_toll(sqlite_url: str) -> None:
    result = run("ask", "--json", "how many died at Makiivka?", database_url=sqlite_url)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["outcome"] == "answer"
    assert answer["event"]["slug"] == "makiivka-strike"
    assert answer["event"]["date"] == "2023-01-01"
    killed = {c["wording"]: c for c in answer["claims"] if c["metric"] == "killed"}
    figures = {c["figure"]["low"] or c["figure"]["high"] for c in killed.values()}
    assert {63, 89, 400} <= figures
    for claim in answer["claims"]:
        assert claim["claimant"] and claim["status"] and claim["lifecycle"] and claim["quote"]
    assert "Russian Ministry of Defence" in answer["text"]
    assert "63" in answer["text"] and "89" in answer["text"] and "400" in answer["text"]
    # The first use of an empty default SQLite database sets it up, and says so.
    assert "seed data" in result.stderr


def test_ask_reads_one_question_per_line(sqlite_url: str) -> None:
    questions = "makiivka death toll\n\nwhat is the capital of France\n"
    result = run("ask", "--json", database_url=sqlite_url, stdin=questions)
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["outcome"] for a in answers] == ["answer", "no_match"]
    assert answers[1]["event"] is None and answers[1]["claims"] == []
    assert "/events" in answers[1]["text"]


def test_run_without_a_token_is_a_terminal_chat(sqlite_url: str) -> None:
    result = run(
        "run", database_url=sqlite_url, stdin="How many died in Kramatorsk?\ngood morning\n"
    )
    assert result.returncode == 0, result.stderr
    assert "more than 600" in result.stdout
    assert "no event that matches" in result.stdout
    assert "CLAIMBOT_TOKEN" in result.stderr


def test_the_terminal_chat_answers_as_the_bot_does_and_echoes_piped_questions(
    sqlite_url: str,
) -> None:
    lines = [
        "/help",
        "/events",
        "/event kramatorsk-strike",
        "/event makiivka",
        "1",
        "/sources",
        "/about",
        "/settings",
        "how many were injured at Makiivka?",
    ]
    result = run("run", database_url=sqlite_url, stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # Each piped line is echoed, in order, before its answer.
    echoes = [out.index(f"> {line}\n") for line in lines]
    assert echoes == sorted(echoes)
    assert "/event SLUG — one event's claims" in out[echoes[0] : echoes[1]]
    assert "/event makiivka-strike" in out[echoes[1] : echoes[2]]
    assert "Killed: 🔴 more than 600 (Russian MoD)" in out[echoes[2] : echoes[3]]
    assert "There is no event makiivka. Did you mean" in out[echoes[3] : echoes[4]]
    assert "[1] Strike on Russian troops in Makiivka" in out[echoes[3] : echoes[4]]
    assert "Killed: 🟠 89 (Russian MoD; earlier 63)" in out[echoes[4] : echoes[5]]
    assert "Russian Ministry of Defence — government, Russia" in out[echoes[5] : echoes[6]]
    assert "🔴 false: shown to be untrue" in out[echoes[6] : echoes[7]]
    assert "See /help" in out[echoes[7] : echoes[8]]
    # The question's measure comes first on the card.
    assert out[echoes[8] :].splitlines()[3].startswith("Wounded: about 300")
    # No log line inside the chat, nor on the terminal around it.
    assert "INFO" not in out and "INFO" not in result.stderr


def test_the_terminal_chat_has_line_editing_and_history_at_a_terminal(
    sqlite_url: str, tmp_path: Path
) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMBOT_")}
    environment |= {"CLAIMBOT_DATABASE_URL": sqlite_url, "HOME": str(tmp_path), "TERM": "xterm"}
    environment.pop("XDG_DATA_HOME", None)
    # A pseudo-terminal pair and a subprocess, not pty.fork(): a forked copy of pytest whose
    # exec fails would run the rest of the suite behind the terminal and never end.
    terminal, child_side = pty.openpty()
    chat = subprocess.Popen(
        [str(CLAIMBOT), "run"],
        stdin=child_side,
        stdout=child_side,
        stderr=child_side,
        env=environment,
        start_new_session=True,
    )
    os.close(child_side)
    shown = b""

    def read_until(text: bytes, count: int = 1, timeout: float = 60) -> None:
        nonlocal shown
        deadline = time.monotonic() + timeout
        while shown.count(text) < count and time.monotonic() < deadline:
            if select.select([terminal], [], [], 0.2)[0]:
                try:
                    shown += os.read(terminal, 65536)
                except OSError:  # the chat ended and closed its side of the terminal
                    break
        assert shown.count(text) >= count, shown[-500:]

    try:
        read_until(b"> ")
        os.write(terminal, b"/abuot\x7f\x7f\x7fout\r")  # three backspaces fix the typo
        read_until(b"How claimbot keeps claims")
        read_until(b"> ", count=2)
        os.write(terminal, b"\x1b[A")  # the up arrow brings the line back ...
        read_until(b"> /about")
        os.write(terminal, b"\r")  # ... and Enter sends it again
        read_until(b"How claimbot keeps claims", count=2)
        read_until(b"> ", count=3)
        os.write(terminal, b"\x04")  # Ctrl-D at an empty prompt ends the chat
        assert chat.wait(timeout=60) == 0
    finally:
        if chat.poll() is None:
            chat.kill()
            chat.wait()
        os.close(terminal)
    assert b"INFO" not in shown
    history = tmp_path / ".local" / "share" / "claimbot" / "chat_history"
    assert "/about" in history.read_text()


def test_invalid_settings_fail_with_one_line_naming_the_variable(sqlite_url: str) -> None:
    result = run("ask", "makiivka", database_url=sqlite_url, env={"CLAIMBOT_ADMIN_IDS": "12,abc"})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "CLAIMBOT_ADMIN_IDS" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_one_clear_line() -> None:
    result = run("ask", "makiivka", database_url="postgresql://nobody@127.0.0.1:1/none")
    assert result.returncode == 1
    assert result.stderr.startswith("claimbot: cannot use the database")
    assert "Traceback" not in result.stderr


def test_export_and_import_round_trip_through_the_command_line(
    new_database: NewDatabase, tmp_path: Path
) -> None:
    source, target = new_database(), new_database()
    assert run("init", database_url=source).returncode == 0
    exported = tmp_path / "data.json"
    assert (
        run("export", "--format", "json", "-o", str(exported), database_url=source).returncode == 0
    )
    assert run("db", "upgrade", database_url=target).returncode == 0
    imported = run("import", str(exported), database_url=target)
    assert imported.returncode == 0, imported.stderr
    assert "claims:" in imported.stdout and "new" in imported.stdout
    again = run("export", "--format", "json", database_url=target)
    assert again.stdout == exported.read_text(encoding="utf-8")


def test_an_imported_change_to_a_followed_event_is_noted_for_its_followers(
    new_database: NewDatabase, tmp_path: Path
) -> None:
    url = new_database()
    assert run("init", database_url=url).returncode == 0
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with unit_of_work(sessions) as session:
        makiivka = session.scalars(
            sqlalchemy.select(Event.id).where(Event.slug == "makiivka-strike")
        ).one()
        follow(session, 9001, makiivka, "en")
    document = yaml.safe_load(run("export", database_url=url).stdout)
    claim = next(
        c
        for c in document["claims"]
        if c["event"] == "makiivka-strike" and c["lifecycle"] == "current" and not c["hidden"]
    )
    claim["lifecycle"] = "retracted"
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    imported = run("import", str(changed), database_url=url)
    assert imported.returncode == 0, imported.stderr
    with unit_of_work(sessions) as session:
        pending = session.scalars(sqlalchemy.select(Notification)).one()
        assert pending.event_id == makiivka
        assert pending.before[claim["key"]]["lifecycle"] == "current"
    engine.dispose()


def test_a_malformed_import_changes_nothing_and_names_the_record(
    new_database: NewDatabase, tmp_path: Path
) -> None:
    url = new_database()
    assert run("init", database_url=url).returncode == 0
    before = run("export", database_url=url).stdout
    document = yaml.safe_load(before)
    document["claims"][0]["summary"] = "changed"
    document["claims"][4]["low"] = -5
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    result = run("import", str(broken), database_url=url)
    assert result.returncode == 1
    assert f"claims[4] ({document['claims'][4]['key']}): low" in result.stderr
    assert run("export", database_url=url).stdout == before


def test_csv_and_claimreview_exports(sqlite_url: str) -> None:
    csv_out = run("export", "--format", "csv", database_url=sqlite_url)
    assert csv_out.returncode == 0
    assert csv_out.stdout.splitlines()[0].startswith("claim_key,event_slug")
    refused = run("export", "--format", "claimreview", database_url=sqlite_url)
    assert refused.returncode == 1 and "CLAIMBOT_PUBLIC_URL" in refused.stderr
    publisher = {"CLAIMBOT_PUBLIC_URL": "https://c.example.org", "CLAIMBOT_ORGANISATION": "Desk"}
    exported = run("export", "--format", "claimreview", database_url=sqlite_url, env=publisher)
    reviews = json.loads(exported.stdout)
    assert reviews and all(r["@type"] == "ClaimReview" for r in reviews)
    # Each review is its claim on the event's page of the web site (`claimbot web`).
    assert all(r["url"].startswith("https://c.example.org/events/") for r in reviews)
    assert all("#claim-" in r["url"] for r in reviews)


def test_help_lists_every_command() -> None:
    result = subprocess.run(
        [str(CLAIMBOT), "--help"], capture_output=True, text=True, check=True, timeout=60
    )
    for command in ("init", "ask", "run", "import", "export", "db"):
        assert command in result.stdout
