"""The notification sender's CPU time per message, this code against another checkout's
in one run.

    python tests/load/follow_sender_cpu.py --baseline /tmp/old_follow [--followers 1000]

Makes FOLLOWERS users of the local Bot API test server follow Makiivka in a seeded SQLite
database and has a moderator retract a claim (due at once). Then, in turns, a child
process runs only the delivery worker (`bot/tg/delivery.py`, of this checkout or of
--baseline DIR, e.g. `git archive main | tar -x -C DIR`) at RATE messages a second until
every follower is told; the outbox is reset between turns. It prints each turn's CPU
time (user and system, all threads of the child, from the worker's start) per
notification, their medians and ratio, and the load average: on a shared machine only
the ratio of turns in one run means much.
"""

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script: make `tests` importable

from sqlalchemy import select, update  # noqa: E402

from bot.moderation.service import ModerationService  # noqa: E402
from db.engine import make_engine, make_session_factory, unit_of_work  # noqa: E402
from db.models import Delivery, Notification  # noqa: E402
from tests.botapi import FakeTelegram  # noqa: E402
from tests.load.follow_load import followed_database  # noqa: E402

ADMIN = 1

# The child: one worker, alone, until the outbox is empty. Older checkouts' workers were
# given a callable for the answers in hand; newer ones an `Answers`.
SENDER = textwrap.dedent(
    """
    import asyncio, datetime as dt, sys, time
    import bot.tg.delivery as delivery
    from db.engine import make_engine, make_session_factory
    from db.outbox import backlog

    url, token, base_url, rate = sys.argv[1:5]
    sessions = make_session_factory(make_engine(url))
    if hasattr(delivery, "Answers"):
        from bot.tg.transport import SendWindow
        answers = delivery.Answers(lambda: 0, SendWindow(), 0)
    else:
        answers = lambda: 0
    worker = delivery.DeliveryWorker.for_bot(
        sessions, token, base_url, float(rate), dt.timedelta(seconds=60), answers
    )

    async def main():
        started = time.process_time()  # every thread's; imports and set-up left out
        task = asyncio.create_task(worker.run())
        await asyncio.sleep(1)
        while backlog(sessions):
            await asyncio.sleep(0.5)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        print(time.process_time() - started)

    asyncio.run(main())
    """
)


def turn(code: Path, url: str, tg: FakeTelegram, rate: float) -> float:
    """The child's CPU seconds to send every notification (from the worker's start)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMBOT_")}
    env["PYTHONPATH"] = str(code)
    child = subprocess.run(
        [sys.executable, "-c", SENDER, url, tg.token, tg.base_url, str(rate)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(child.stdout.split()[-1])


def reset(url: str) -> None:
    """Every delivery unsent and unleased again, for the next turn."""
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        session.execute(update(Delivery).values(sent_at=None, leased_until=None))
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the other checkout")
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100, help="the sender's messages a second")
    parser.add_argument("--turns", type=int, default=2, help="turns of each code")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory, FakeTelegram() as tg:
        url = f"sqlite:///{Path(directory) / 'sender.db'}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMBOT_")}
        engine, sessions, _ = followed_database(
            env | {"CLAIMBOT_DATABASE_URL": url}, tg, args.followers
        )
        moderation = ModerationService(sessions, {ADMIN}, follow_quiet=dt.timedelta(0))
        change = {"claim": "makiivka-russian-mod-six-himars-rockets-fired"}
        moderation.execute(ADMIN, "retract", change)
        cpu: dict[str, list[float]] = {"this": [], "baseline": []}
        for number in range(args.turns):
            for name, code in (("baseline", args.baseline), ("this", REPO)):
                started = time.monotonic()
                seconds = turn(code, url, tg, args.rate)
                cpu[name].append(seconds / args.followers)
                print(
                    f"turn {number + 1}, {name}: {seconds:.2f} s CPU, "
                    f"{seconds / args.followers * 1000:.2f} ms a notification "
                    f"({time.monotonic() - started:.0f} s)"
                )
                reset(url)
        with unit_of_work(sessions) as session:
            assert session.scalar(select(Notification.texts)) is not None
        engine.dispose()
    old, new = statistics.median(cpu["baseline"]), statistics.median(cpu["this"])
    print(
        f"{args.followers:,} notifications at {args.rate:g}/s, median CPU a notification: "
        f"baseline {old * 1000:.2f} ms, this code {new * 1000:.2f} ms "
        f"(baseline / this: {old / new:.2f})"
    )
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
