"""One user floods the bot: do the others wait longer? With Telegram's per-chat limit.

    python tests/load/flood_test.py --users 20 --seconds 20

Runs a real `claimbot run` (fresh SQLite with the seed data) against the local Bot API
test server enforcing Telegram's per-chat limit (one message a second per chat, 429 with
retry_after past it) and the bot's own limit of 30 messages a second. `--users` users ask
a question every `--interval` seconds each, staggered, for `--seconds`; then the same
again while one more user sends `--flood` messages in the first 10 seconds. For the
others it prints the answers and p50/p99/max latency (question sent to answer accepted by
the server) in both phases; for the flooder, how many answers and "slow down" replies they
got. Exit status 1 if another user's question went unanswered.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script: make `tests` importable

from tests.botapi import FakeTelegram, TgUser  # noqa: E402
from tests.deployment import BotProcess  # noqa: E402

QUESTION = "how many drones attacked Kyiv?"
FLOOD_SECONDS = 10.0
SETTLE_SECONDS = 5.0  # after a phase, for the last answers


def phase(
    tg: FakeTelegram,
    users: list[TgUser],
    flooder: TgUser | None,
    flood: int,
    seconds: float,
    interval: float,
) -> tuple[list[float], int]:
    """Latencies of the users' answers, and how many of their questions went unanswered."""
    start = time.time()
    schedule = [
        (start + offset + n * interval, user)
        for i, user in enumerate(users)
        for offset in [interval * i / len(users)]
        for n in range(int(seconds / interval))
    ]
    if flooder is not None:
        schedule += [(start + n * FLOOD_SECONDS / flood, flooder) for n in range(flood)]
    schedule.sort(key=lambda entry: entry[0])
    asked: dict[int, list[float]] = {u.id: [] for u in users}
    for when, user in schedule:
        time.sleep(max(0.0, when - time.time()))
        user.send(QUESTION)
        if user.id in asked:
            asked[user.id].append(time.time())
    time.sleep(SETTLE_SECONDS)
    latencies: list[float] = []
    unanswered = 0
    for user in users:
        accepted = [
            c.time
            for c in tg.calls("sendMessage")
            if c.status == 200 and int(c.params["chat_id"]) == user.id and c.time >= start
        ]
        latencies += [
            answer - question for question, answer in zip(asked[user.id], accepted, strict=False)
        ]
        unanswered += max(0, len(asked[user.id]) - len(accepted))
    return latencies, unanswered


def describe(name: str, latencies: list[float], unanswered: int) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (
        f"{name}: {len(ordered)} answers, p50 {statistics.median(ordered) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms, {unanswered} unanswered"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between a user's")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--flood", type=int, default=300, help="the flooder's messages in 10 s")
    parser.add_argument(
        "--questions-per-minute", help="the bot's per-user limit (default: its own default)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory, FakeTelegram(chat_messages_per_second=1) as tg:
        url = f"sqlite:///{Path(directory) / 'bot.db'}"
        limit = {"questions_per_minute": args.questions_per_minute}
        bot = BotProcess(
            tg,
            url,
            Path(directory) / "bot.log",
            log_level="WARNING",
            rate_limit_per_second="30",
            **{k: v for k, v in limit.items() if v is not None},
        ).start(timeout=120)
        users = [tg.add_user(f"User {n}") for n in range(args.users)]
        flooder = tg.add_user("Flooder")
        quiet = phase(tg, users, None, 0, args.seconds, args.interval)
        flooded = phase(tg, users, flooder, args.flood, args.seconds, args.interval)
        time.sleep(30)  # the flooder's chat drains at a message a second
        replies = [m.content for m in flooder.chat.bot_messages()]
        bot.stop()
        limited = sum(1 for c in tg.calls("sendMessage") if c.status == 429)
    print(describe("others, no flood", *quiet))
    print(describe(f"others, one user sending {args.flood} in 10 s", *flooded))
    slow = sum("faster than I can answer" in text for text in replies)
    print(
        f"flooder: {len(replies) - slow} answers, {slow} 'slow down' replies; "
        f"429s from the per-chat limit: {limited}"
    )
    return 1 if quiet[1] or flooded[1] else 0


if __name__ == "__main__":
    sys.exit(main())
