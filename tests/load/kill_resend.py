"""How many answers a killed `claimbot run` sends twice: SIGKILL 0.1 s into a burst of answers.

    python tests/load/kill_resend.py --users 50 --kill-after 0.1 --runs 5

Each run: a fresh SQLite database with the seed data (or --database-url, migrated and
seeded, whose update inbox it empties first), a real `claimbot run` polling a local Bot
API test server, `--users` users who each send one question at the same moment, SIGKILL
`--kill-after` seconds after the first answer reached the server, then a second `claimbot
run` that handles what the first left unhandled. It prints, per run, the answers sent
before the kill, the answers sent twice (re-sent after the restart) and the questions
never answered (must be 0), and exits 1 if a question went unanswered.
"""

import argparse
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script: make `tests` importable

from sqlalchemy import delete  # noqa: E402

from db.bootstrap import initialise  # noqa: E402
from db.engine import make_engine, make_session_factory, unit_of_work  # noqa: E402
from db.models import InboxUpdate  # noqa: E402
from tests.botapi import FakeTelegram  # noqa: E402
from tests.deployment import BotProcess  # noqa: E402

QUESTION = "how many drones attacked Kyiv?"


def fresh_database(url: str | None, directory: Path) -> str:
    url = url or f"sqlite:///{directory / 'bot.db'}"
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    initialise(engine, sessions)
    with unit_of_work(sessions) as session:
        session.execute(delete(InboxUpdate))
    engine.dispose()
    return url


def run(users: int, kill_after: float, database_url: str | None) -> tuple[int, int, int]:
    """(answers before the kill, answers sent twice, questions unanswered)."""
    with tempfile.TemporaryDirectory() as directory, FakeTelegram() as tg:
        url = fresh_database(database_url, Path(directory))
        log = Path(directory) / "bot.log"
        first = BotProcess(tg, url, log, log_level="WARNING").start()
        people = [tg.add_user(f"User {n}") for n in range(users)]
        for person in people:
            person.send(QUESTION)
        tg.wait_until(lambda: tg.call_count("sendMessage") or None, 30, "the first answer")
        time.sleep(kill_after)
        first.stop(signal.SIGKILL)
        before = sum(len(p.chat.bot_messages()) for p in people)
        second = BotProcess(tg, url, log, log_level="WARNING").start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if all(p.chat.bot_messages() for p in people):
                break
            time.sleep(0.05)
        time.sleep(1.0)  # anything sent twice has been sent by now
        second.stop()
        counts = [len(p.chat.bot_messages()) for p in people]
    return before, sum(max(0, n - 1) for n in counts), counts.count(0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument(
        "--kill-after", type=float, default=0.1, help="seconds after the first answer"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="a migrated, seeded database (default: SQLite)")
    args = parser.parse_args()
    lost = 0
    for number in range(1, args.runs + 1):
        before, twice, unanswered = run(args.users, args.kill_after, args.database_url)
        lost += unanswered
        print(
            f"run {number}: {before} of {args.users} answered before the kill, "
            f"{twice} sent twice, {unanswered} unanswered",
            flush=True,
        )
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
