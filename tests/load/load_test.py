"""Load test: bursts of questions from many simulated users, claimbot against an echo bot.

    python tests/load/load_test.py --users 200 --questions 4000

Runs two bots, each a real process polling a local Bot API test server of its own: a bare
echo bot (the transport floor: the Bot API server, PTB and HTTP, with no work done) and
`claimbot run`. In each burst every user sends one question at the same moment; the burst
ends when every answer has arrived. Bursts alternate between the two bots, so that whatever
else the machine is doing slows both alike. For each bot it prints answered questions per
second (answers over the time the bursts took), p50/p99 latency (question sent to first
reply), errors (rejected calls, apologies), lost replies and the bot's CPU time per
question, then the ratio of the two throughputs. Exit status 1 if a reply was lost, a call
was rejected or the ratio is below the goal.

The database is a fresh SQLite file with the seed data unless --database-url names one
(migrated and seeded, e.g. by `claimbot init`). The outgoing flood limit is off for both
bots by default (--rate-limit 0) so that the figures measure the bots, not the limit: at
Telegram's 30 messages a second both would measure 30.
"""

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script: make `tests` importable

from bot.runtime import Runtime  # noqa: E402
from config import load_settings  # noqa: E402
from tests.botapi import FakeTelegram, TgUser  # noqa: E402

QUESTIONS = (
    "how many died at Makiivka?",
    "makeevka death toll",
    "скільки загинуло в Макіївці?",
    "how many drones attacked Kyiv?",
    "Were 600 Ukrainian soldiers killed in Kramatorsk?",
    "kramatorsk strike",
    "how many were killed?",
    "what happened in Kherson?",
    "Orthodox Christmas ceasefire",
    "Bakhmut Wagner losses",
    "what is the capital of France",
    "russian mobilisation numbers",
)
GOAL = 0.8
WARM_UP_USERS = 50
BURST_TIMEOUT_SECONDS = 120.0
POLL_SECONDS = 0.002


@dataclass(frozen=True)
class Asked:
    chat_id: int
    sent_at: float
    until: float  # the end of its burst: later replies are not to this question
    parts: int  # how many messages the complete answer has


@dataclass
class Target:
    """One bot under load: its Bot API server, its process and its simulated users."""

    name: str
    tg: FakeTelegram
    process: subprocess.Popen[bytes]
    parts: Callable[[str], int]
    users: list[TgUser] = field(default_factory=list)
    asked: list[Asked] = field(default_factory=list)
    busy_seconds: float = 0.0
    cpu_seconds: float = 0.0
    server_cpu_seconds: float = 0.0

    def wait_ready(self) -> None:
        self.tg.wait_until(
            lambda: True if self.tg.long_polls_waiting else None, 120, f"{self.name} to start"
        )

    def burst(self, users: int, number: int) -> None:
        """Every user asks one question at once; wait for every answer."""
        expected = self.tg.call_count("sendMessage")
        cpu, server_cpu = cpu_seconds(self.process.pid), time.process_time()
        sent: list[tuple[int, float, int]] = []
        for index, user in enumerate(self.users[:users]):
            question = QUESTIONS[(index + number) % len(QUESTIONS)]
            expected += self.parts(question)
            sent.append((user.id, time.time(), self.parts(question)))
            user.send(question)
        # Polled, not awaited on the server's condition: a waiter woken by every call the
        # server records took a fifth of its CPU, from the 2 cores the bots run on too.
        deadline = time.monotonic() + BURST_TIMEOUT_SECONDS
        while self.tg.call_count("sendMessage") < expected:
            if time.monotonic() > deadline:
                raise TimeoutError(f"not every answer of {self.name}'s burst came")
            time.sleep(POLL_SECONDS)
        done = time.time()
        if number > 0:  # burst 0 warms up connections and caches
            self.busy_seconds += done - sent[0][1]
            self.cpu_seconds += cpu_seconds(self.process.pid) - cpu
            self.server_cpu_seconds += time.process_time() - server_cpu
            self.asked += [Asked(chat, at, done, count) for chat, at, count in sent]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(60)

    def result(self) -> "Result":
        by_chat: dict[int, list[tuple[float, int, str]]] = {}
        for call in self.tg.calls("sendMessage"):
            chat = int(call.params.get("chat_id", 0))
            by_chat.setdefault(chat, []).append(
                (call.time, call.status, str(call.params.get("text", "")))
            )
        latencies: list[float] = []
        answered = errors = 0
        for question in self.asked:
            replies = [
                reply
                for reply in by_chat.get(question.chat_id, [])
                if question.sent_at <= reply[0] <= question.until
            ]
            good = [reply for reply in replies if reply[1] == 200]
            errors += len(replies) - len(good)
            errors += sum(1 for reply in good if reply[2].startswith("Sorry"))
            if len(good) >= question.parts:
                answered += 1
                latencies.append(good[0][0] - question.sent_at)
        return Result(
            self.name,
            len(self.asked),
            answered,
            self.busy_seconds,
            latencies,
            errors,
            self.cpu_seconds,
            self.server_cpu_seconds,
        )


@dataclass
class Result:
    name: str
    asked: int
    answered: int
    seconds: float
    latencies: list[float]
    errors: int
    cpu_seconds: float  # the bot process's, during the measured bursts
    server_cpu_seconds: float  # this process's: the Bot API server's and the users'

    @property
    def per_second(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def line(self) -> str:
        return (
            f"{self.name:<9} {self.answered}/{self.asked} answered in {self.seconds:.1f} s: "
            f"{self.per_second:.1f} answered/s, latency p50 {self.percentile(0.5) * 1000:.0f} ms "
            f"p99 {self.percentile(0.99) * 1000:.0f} ms (mean "
            f"{statistics.fmean(self.latencies or [0]) * 1000:.0f} ms), errors {self.errors}, "
            f"lost {self.asked - self.answered}; CPU per question: bot "
            f"{self.cpu_seconds / max(self.asked, 1) * 1000:.1f} ms, Bot API server "
            f"{self.server_cpu_seconds / max(self.asked, 1) * 1000:.1f} ms"
        )


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bot_environment(database_url: str, settings: dict[str, str]) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMBOT_")}
    environment["CLAIMBOT_DATABASE_URL"] = database_url
    environment["PYTHONPATH"] = str(REPO)
    return environment | {f"CLAIMBOT_{k.upper()}": v for k, v in settings.items()}


def prepare_database(url: str | None, directory: Path) -> str:
    if url is not None:
        return url
    url = f"sqlite:///{directory / 'load.db'}"
    subprocess.run(
        [str(Path(sys.executable).with_name("claimbot")), "init"],
        env=bot_environment(url, {}),
        check=True,
        capture_output=True,
    )
    return url


def claimbot_replies(database_url: str) -> dict[str, list[str]]:
    """The messages claimbot answers each question with, from the same database."""
    service = Runtime.from_settings(load_settings(database_url=database_url)).answer_service()
    return {q: service.ask(q).messages() for q in QUESTIONS}


def start(
    name: str,
    tg: FakeTelegram,
    command: Sequence[str],
    environment: dict[str, str],
    parts: Callable[[str], int],
    log: Path,
) -> Target:
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, stderr=stderr
        )
    return Target(name, tg, process, parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200, help="simulated users (burst size)")
    parser.add_argument("--questions", type=int, default=4000, help="questions per bot")
    parser.add_argument("--database-url", help="a migrated, seeded database (default: SQLite)")
    parser.add_argument(
        "--rate-limit", default="0", help="messages/s for both bots (default 0: no limit)"
    )
    parser.add_argument(
        "--echo",
        choices=["bare", "replies"],
        default="bare",
        help="bare: echo the question (the goal's floor); replies: send claimbot's own reply "
        "messages for it, without claimbot's work (the floor for replies of that size)",
    )
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="claimbot-load-"))
    url = prepare_database(args.database_url, directory)
    replies = claimbot_replies(url)
    (directory / "replies.json").write_text(json.dumps(replies))

    def parts(question: str) -> int:
        return len(replies[question])

    python = sys.executable
    # A database given with --database-url keeps its update inbox from earlier runs, and
    # Telegram never repeats a bot's update ids: neither may the test servers.
    first_update_id = random.randrange(10**6, 10**9)
    with (
        FakeTelegram(first_update_id=first_update_id) as tg_echo,
        FakeTelegram(first_update_id=first_update_id) as tg_bot,
    ):

        def settings(tg: FakeTelegram) -> dict[str, str]:
            return {
                "token": tg.token,
                "bot_api_url": tg.base_url,
                "rate_limit_per_second": args.rate_limit,
                # Each simulated user asks a question a burst, faster than a person would.
                "questions_per_minute": "1000000",
            }

        echo_environment = bot_environment(url, settings(tg_echo))
        if args.echo == "replies":
            echo_environment["ECHO_REPLIES"] = str(directory / "replies.json")
        echo = start(
            "echo bot",
            tg_echo,
            [python, str(REPO / "tests" / "load" / "echo_bot.py")],
            echo_environment,
            parts if args.echo == "replies" else lambda _question: 1,
            directory / "echo.log",
        )
        bot = start(
            "claimbot",
            tg_bot,
            [str(Path(python).with_name("claimbot")), "run"],
            bot_environment(url, settings(tg_bot)),
            parts,
            directory / "claimbot.log",
        )
        targets = (echo, bot)
        try:
            for target in targets:
                target.wait_ready()
                target.users = [target.tg.add_user(f"User {n}") for n in range(args.users)]
                target.burst(min(WARM_UP_USERS, args.users), 0)
            print(
                f"{args.questions} questions per bot from {args.users} users in bursts; "
                f"echo bot: {args.echo}; rate limit: {args.rate_limit or 'none'}"
            )
            for number, first in enumerate(range(0, args.questions, args.users), start=1):
                for target in targets:
                    target.burst(min(args.users, args.questions - first), number)
        finally:
            for target in targets:
                target.stop()
        results = [target.result() for target in targets]
        rejected = tg_echo.rejected_calls() + tg_bot.rejected_calls()
    for result in results:
        print(result.line())
    ratio = results[1].per_second / results[0].per_second if results[0].per_second else 0.0
    print(
        f"claimbot/echo throughput: {ratio:.2f} (goal {GOAL:.2f}); rejected calls {len(rejected)}"
    )
    for call in rejected:
        print(f"  rejected: {call.method} {call.status} {call.description}")
    print(f"logs: {directory}")
    lost = sum(result.asked - result.answered for result in results)
    return 0 if ratio >= GOAL and lost == 0 and not rejected else 1


if __name__ == "__main__":
    sys.exit(main())
