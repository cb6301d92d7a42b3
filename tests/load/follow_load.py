"""Load test: a broadcast to followers while users keep asking questions.

    python tests/load/follow_load.py --followers 100000 --limit 600
    python tests/load/follow_load.py --followers 3000 --limit 30

Makes FOLLOWERS users of a local Bot API test server follow Makiivka, starts `claimbot run`
(a real process, SQLite) and has a moderator supersede the Russian ministry's 89 with a
new figure. The server enforces Telegram's limits: one message a second per chat and
LIMIT messages a second for the whole bot (429 with `retry_after` beyond them). The bot's
notification sender is set to 25/30 of LIMIT (its default share of Telegram's 30), and its
answers to LIMIT, through the same settings as in production.

It prints: the time until the last follower was told and the sending rate against LIMIT;
duplicates and losses (both must be 0); p50/p99 answer latency of users asking questions
during the broadcast against the same without one; and, unless --no-kill, what a SIGKILL of
the bot in the middle of a second broadcast costs after a restart (lost must be 0;
duplicated at most the sends in flight). Exit status 1 if a follower was missed or told
twice without a kill.
"""

import argparse
import datetime as dt
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script: make `tests` importable

from sqlalchemy import Engine, insert, select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from bot.moderation.service import ModerationService  # noqa: E402
from bot.tg.delivery import sends_at_once  # noqa: E402
from db.engine import make_engine, make_session_factory, unit_of_work  # noqa: E402
from db.models import Event, Follow, utcnow  # noqa: E402
from db.outbox import backlog  # noqa: E402
from tests.botapi import FakeTelegram, TgUser  # noqa: E402

ADMIN = 1
QUESTION = "how many drones attacked Kyiv?"
ASKERS = 40
ASK_EVERY_SECONDS = 0.25  # 4 questions a second, each asker every 10 s
BASELINE_SECONDS = 20.0
LEASE_SECONDS = "10"  # a killed sender's deliveries are sent again after this
# What only the first broadcast's message says (the new figure, earlier 89), and the second's.
FIRST = "(earlier 89)"
SECOND = "Retracted:"


def environment(database_url: str, tg: FakeTelegram, limit: float) -> dict[str, str]:
    settings = {
        "token": tg.token,
        "bot_api_url": tg.base_url,
        "database_url": database_url,
        "rate_limit_per_second": str(limit),
        "follow_messages_per_second": str(limit * 25 / 30),
        "follow_quiet_seconds": "0",
        "follow_lease_seconds": LEASE_SECONDS,
        "log_level": "WARNING",
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMBOT_")}
    env["PYTHONPATH"] = str(REPO)
    return env | {f"CLAIMBOT_{k.upper()}": v for k, v in settings.items()}


def start_bot(env: dict[str, str], tg: FakeTelegram, log: Path) -> subprocess.Popen[bytes]:
    waiting = tg.long_polls_waiting
    with log.open("ab") as stderr:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("claimbot")), "run"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    deadline = time.monotonic() + 120
    while tg.long_polls_waiting <= waiting and time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-2000:]
        time.sleep(0.05)
    return process


def followed_database(
    env: dict[str, str], tg: FakeTelegram, count: int
) -> tuple[Engine, sessionmaker[Session], list[int]]:
    """The seeded database of `env` (`claimbot init`), in which `count` new users of the
    test server follow Makiivka; its engine, sessions and the followers' ids."""
    subprocess.run(
        [str(Path(sys.executable).with_name("claimbot")), "init"],
        env=env,
        check=True,
        capture_output=True,
    )
    engine = make_engine(env["CLAIMBOT_DATABASE_URL"])
    sessions = make_session_factory(engine)
    followers = [tg.add_user(f"Follower {n}").id for n in range(count)]
    with unit_of_work(sessions) as session:
        event = session.scalar(select(Event.id).where(Event.slug == "makiivka-strike"))
        now = utcnow()
        rows = [
            {"chat_id": f, "event_id": event, "followed_at": now, "language": "en"}
            for f in followers
        ]
        session.execute(insert(Follow), rows)
    return engine, sessions, followers


def told(tg: FakeTelegram, marker: str) -> Counter[int]:
    """How many notifications containing `marker` each chat was sent."""
    return Counter(
        int(call.params["chat_id"])
        for call in tg.calls("sendMessage")
        if call.status == 200 and marker in str(call.params.get("text", ""))
    )


class Askers:
    """Users asking a question every ASK_EVERY_SECONDS, in turn, while running."""

    def __init__(self, tg: FakeTelegram) -> None:
        self.tg = tg
        self.users: list[TgUser] = [tg.add_user(f"Asker {n}") for n in range(ASKERS)]
        self.asked: list[tuple[int, float]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self.asked = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        turn = 0
        while not self._stop.is_set():
            user = self.users[turn % len(self.users)]
            self.asked.append((user.id, time.time()))
            user.send(QUESTION)
            turn += 1
            self._stop.wait(ASK_EVERY_SECONDS)

    def stop(self) -> list[float]:
        """Stop asking; the latency of each answer (question sent to its reply), in s."""
        self._stop.set()
        assert self._thread is not None
        self._thread.join()
        time.sleep(3)  # the last answers
        replies: dict[int, list[float]] = {}
        for call in self.tg.calls("sendMessage"):
            if call.status == 200:
                replies.setdefault(int(call.params["chat_id"]), []).append(call.time)
        latencies = []
        for chat, at in self.asked:
            after = [t for t in replies.get(chat, []) if t >= at]
            if after:
                latencies.append(min(after) - at)
        return latencies


def cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    """CPU time the process used so far, all its threads, user and system (Linux)."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def latency_line(name: str, latencies: list[float], asked: int) -> str:
    return (
        f"{name}: {len(latencies)} of {asked} answered, p50 "
        f"{statistics.median(latencies) * 1000:.0f} ms, p99 "
        f"{percentile(latencies, 0.99) * 1000:.0f} ms"
    )


def losses(tg: FakeTelegram, followers: list[int], marker: str) -> tuple[int, int]:
    """Followers never told, and notifications sent more than once."""
    counts = told(tg, marker)
    return len(set(followers) - set(counts)), sum(n - 1 for n in counts.values() if n > 1)


def wait_told(tg: FakeTelegram, marker: str, count: int) -> float:
    """Seconds until `count` chats were told; fails after a minute without progress."""
    started = last_progress = time.monotonic()
    done = 0
    while done < count:
        time.sleep(2)
        now_done = len(told(tg, marker))
        if now_done > done:
            done, last_progress = now_done, time.monotonic()
        elif time.monotonic() - last_progress > 60:
            raise TimeoutError(f"only {done} of {count} told")
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument(
        "--limit", type=float, default=600, help="the server's messages a second (Telegram: 30)"
    )
    parser.add_argument("--no-kill", action="store_true", help="skip the SIGKILL broadcast")
    args = parser.parse_args()
    limit: float = args.limit
    with (
        tempfile.TemporaryDirectory() as directory,
        FakeTelegram(chat_messages_per_second=1, messages_per_second=limit) as tg,
    ):
        url = f"sqlite:///{Path(directory) / 'follow.db'}"
        env = environment(url, tg, limit)
        started = time.monotonic()
        engine, sessions, followers = followed_database(env, tg, args.followers)
        print(f"{args.followers:,} followers of Makiivka in {time.monotonic() - started:.0f} s")
        askers = Askers(tg)
        log = Path(directory) / "bot.log"
        bot = start_bot(env, tg, log)
        failures = 0
        try:
            cpu = cpu_seconds(bot)
            askers.start()
            time.sleep(BASELINE_SECONDS)
            quiet = askers.stop()
            asked = len(askers.asked)
            cpu_per_answer = (cpu_seconds(bot) - cpu) / asked

            moderation = ModerationService(sessions, {ADMIN}, follow_quiet=dt.timedelta(0))
            moderation.execute(
                ADMIN,
                "addclaim",
                {
                    "event": "makiivka-strike",
                    "claimant": "Russian Ministry of Defence",
                    "metric": "killed",
                    "figure": "120",
                    "quote": "Load test figure.",
                    "publisher": "Example News",
                    "key": "makiivka-load-test-120",
                    # Told with the supersede instead: added aloud, it could be sent on its
                    # own before the supersede (no quiet period here), without "(earlier 89)".
                    "silent": "yes",
                },
            )
            cpu = cpu_seconds(bot)
            askers.start()
            supersede = {"old": "makiivka-russian-mod-89", "new": "makiivka-load-test-120"}
            moderation.execute(ADMIN, "supersede", supersede)
            seconds = wait_told(tg, FIRST, len(followers))
            during = askers.stop()
            cpu = cpu_seconds(bot) - cpu
            lost, duplicated = losses(tg, followers, FIRST)
            failures += lost + duplicated
            rate = len(followers) / seconds
            print(f"Broadcast to {len(followers):,} followers, limit {limit:g}/s:")
            print(f"  last follower told after {seconds:.1f} s: {rate:.1f}/s of {limit:g}/s")
            print(f"  lost: {lost}, duplicated: {duplicated}")
            print("  " + latency_line("answers without a broadcast", quiet, asked))
            print("  " + latency_line("answers during the broadcast", during, len(askers.asked)))
            sending = cpu - cpu_per_answer * len(askers.asked)
            print(
                f"  bot CPU: {cpu_per_answer * 1000:.1f} ms an answer without a broadcast; "
                f"{cpu:.1f} s during it, {sending / len(followers) * 1000:.2f} ms a notification "
                "after the answers' share"
            )
            print(f"  load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
            refused = [c for c in tg.calls("sendMessage") if c.status == 429]
            to_answers = sum(not str(c.params.get("text", "")).startswith("🔔") for c in refused)
            print(f"  429s: {len(refused)}, {to_answers} of them to answers")
            if not args.no_kill:
                moderation.execute(
                    ADMIN, "retract", {"claim": "makiivka-russian-mod-six-himars-rockets-fired"}
                )
                half = len(followers) // 2
                while len(told(tg, SECOND)) < half:
                    time.sleep(0.5)
                bot.send_signal(signal.SIGKILL)
                bot.wait()
                at_kill = len(told(tg, SECOND))
                killed = time.monotonic()
                bot = start_bot(env, tg, log)
                wait_told(tg, SECOND, len(followers))
                lost, duplicated = losses(tg, followers, SECOND)
                in_flight = sends_at_once(limit * 25 / 30)
                print(f"SIGKILL after {at_kill:,} of {len(followers):,} told, then a restart:")
                print(
                    f"  lost: {lost}, duplicated: {duplicated} (sends in flight at most "
                    f"{in_flight}); the last follower told {time.monotonic() - killed:.1f} s "
                    f"after the kill (the restart and a lease of {LEASE_SECONDS} s included)"
                )
                failures += lost + max(0, duplicated - in_flight)
            print(f"outbox backlog at the end: {backlog(sessions)}")
        except TimeoutError:
            print(f"the bot's log ends:\n{log.read_text()[-3000:]}")
            raise
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(60)
            engine.dispose()
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
