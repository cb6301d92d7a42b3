"""Start-up and freshness at scale (issue #14):

    .venv/bin/python tests/bench/freshness_at_scale.py --events 100000

Builds once (and keeps at --database) a SQLite database of N generated events
(`tests/bench/scale_data.py`: 5 claims and 3-5 aliases each), written with bulk inserts
because importing that many events one record at a time takes half an hour. Then, against
a local Bot API server:

1. starts `claimbot run --webhook` and prints the seconds until it is ready (its health
   endpoint answers) and its memory (resident set) after start; with --snapshot, from the
   index kept on disk (started twice when there is none yet: writing it, then reading it);
2. keeps --users simulated users asking questions one after another, each waiting for its
   answer; after --baseline seconds this process (another process than the replica) adds
   an alias to one event, as a moderator's /alias does, and the users go on for --after
   seconds more. Prints how long until the replica answers a question naming the new alias,
   and answers' p50/p99 latency before the edit and from the edit on, with their ratio.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script: make `tests` importable

from sqlalchemy import insert  # noqa: E402

from bot.moderation.commands import COMMANDS  # noqa: E402
from bot.moderation.service import ModerationService  # noqa: E402
from db.engine import make_engine, make_session_factory, unit_of_work  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import Appearance, Claim, Document, Event, EventAlias, Source  # noqa: E402
from tests.bench.scale_data import generate  # noqa: E402
from tests.botapi import FakeTelegram, TgUser  # noqa: E402
from tests.deployment import BotProcess  # noqa: E402

ADMIN = 1
BATCH = 5000


def build(url: str, events: int) -> None:
    """A migrated database holding `events` generated events, written in bulk."""
    data = generate(events)
    engine = make_engine(url)
    upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    sources = {s["name"]: i + 1 for i, s in enumerate(data["sources"])}
    documents = {d["key"]: i + 1 for i, d in enumerate(data["documents"])}
    slugs = {e["slug"]: i + 1 for i, e in enumerate(data["events"])}
    stamps = {"created_at": now, "updated_at": now}
    rows: list[tuple[Any, list[dict[str, Any]]]] = [
        (Source, [{"id": sources[s["name"]], **s, **stamps} for s in data["sources"]]),
        (
            Document,
            [
                {
                    "id": documents[d["key"]],
                    "key": d["key"],
                    "publisher_id": sources[d["publisher"]],
                    "headline": d["headline"],
                    "published_on": dt.date.fromisoformat(d["published_on"]),
                }
                for d in data["documents"]
            ],
        ),
        (
            Event,
            [
                {
                    "id": slugs[e["slug"]],
                    "slug": e["slug"],
                    "title": e["title"],
                    "summary": e["summary"],
                    "place": e["place"],
                    "start_date": dt.date.fromisoformat(e["start_date"]),
                    **stamps,
                }
                for e in data["events"]
            ],
        ),
        (
            EventAlias,
            [
                {"event_id": slugs[e["slug"]], "text": a["text"], "lang": None, "kind": "name"}
                for e in data["events"]
                for a in e["aliases"]
            ],
        ),
        (
            Claim,
            [
                {
                    "id": i + 1,
                    "key": c["key"],
                    "event_id": slugs[c["event"]],
                    "claimant_id": sources[c["claimant"]],
                    "metric": c["metric"],
                    "qualifier": c["qualifier"],
                    "low": c["low"],
                    "high": c["high"],
                    "wording": c["wording"],
                    "summary": c["summary"],
                    "quote": c["quote"],
                    "stated_on": dt.date.fromisoformat(c["stated_on"]),
                    **stamps,
                }
                for i, c in enumerate(data["claims"])
            ],
        ),
        (
            Appearance,
            [
                {"claim_id": i + 1, "document_id": documents[c["appearances"][0]["article"]]}
                for i, c in enumerate(data["claims"])
            ],
        ),
    ]
    sessions = make_session_factory(engine)
    with unit_of_work(sessions) as session:
        for model, values in rows:
            for start in range(0, len(values), BATCH):
                session.execute(insert(model), values[start : start + BATCH])
    engine.dispose()


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far: on a machine others share, a start's
    wall-clock time says more about them than about the start."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Asker(threading.Thread):
    """A user asking one question after another, each when the last was answered."""

    def __init__(self, user: TgUser, questions: list[str], stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.user, self.questions, self.stop = user, questions, stop
        self.timings: list[tuple[float, float]] = []  # (sent at, seconds to the answer)

    def run(self) -> None:
        number = 0
        while not self.stop.is_set():
            question = self.questions[number % len(self.questions)]
            number += 1
            sent = time.monotonic()
            self.user.send(question)
            self.user.chat.next_bot_message(timeout=60)  # every answer here is one message
            self.timings.append((sent, time.monotonic() - sent))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def edit_under_load(
    tg: FakeTelegram,
    url: str,
    args: argparse.Namespace,
    questions: list[str],
    target: dict[str, Any],
) -> None:
    # A new name on every run: the database is kept between runs.
    stamp, letters = int(time.time()), ""
    while stamp:
        stamp, digit = divmod(stamp, 26)
        letters += chr(ord("a") + digit)
    alias = f"Zyxwv {letters}"
    stop = threading.Event()
    askers = [Asker(tg.add_user(f"U{i}"), questions, stop) for i in range(args.users)]
    for asker in askers:
        asker.start()
    time.sleep(args.baseline)
    edited = time.monotonic()
    moderation = ModerationService(make_session_factory(make_engine(url)), {ADMIN}, None)
    values = COMMANDS["alias"].bind(f'{target["slug"]} "{alias}" lang=en')
    moderation.execute(ADMIN, "alias", values)
    committed = time.monotonic() - edited
    checker = tg.add_user("Checker")
    while True:
        checker.send(alias.lower())
        if target["place"] in checker.chat.next_bot_message(timeout=60).content:
            break
    answered = time.monotonic() - edited
    time.sleep(max(0.0, edited + args.after - time.monotonic()))
    stop.set()
    for asker in askers:
        asker.join()
    print(f"edit: committed in {committed:.2f} s, answered by the replica {answered:.2f} s after")
    before = [s for a in askers for sent, s in a.timings if sent < edited]
    after = [s for a in askers for sent, s in a.timings if sent >= edited]
    for name, timings in (("before the edit", before), ("from the edit on", after)):
        p50, p99 = statistics.median(timings) * 1000, percentile(timings, 0.99) * 1000
        print(f"answers {name}: {len(timings)}, p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    ratio = percentile(after, 0.99) / percentile(before, 0.99)
    print(f"p99 from the edit on / before: {ratio:.2f} (goal: at most 1.5)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--database", type=Path, help="default /tmp/claimbot-bench/N.db")
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--baseline", type=float, default=20.0)
    parser.add_argument("--after", type=float, default=20.0)
    parser.add_argument(
        "--snapshot",
        action="store_true",
        help="start with CLAIMBOT_INDEX_SNAPSHOT (writing it first if there is none)",
    )
    args = parser.parse_args()
    path = args.database or Path(f"/tmp/claimbot-bench/scale-{args.events}.db")
    url = f"sqlite:///{path}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        build(url, args.events)
        print(f"built {path} in {time.monotonic() - started:.0f} s")
    data = generate(min(args.events, 200))
    questions = [f"how many died in {e['place']}?" for e in data["events"]]
    target = data["events"][len(data["events"]) // 2]
    # A new bot id on every run: the kept database remembers the update ids it handled.
    with FakeTelegram(token=f"{int(time.time())}:AAscale-bench") as tg:
        # The per-user question limit and Telegram's flood limit off: the users here ask
        # as fast as they are answered, to measure the replica rather than the limits.
        settings = {"questions_per_minute": "1000000", "rate_limit_per_second": "0"}
        snapshot = path.with_suffix(".snapshot")
        if args.snapshot:
            settings["index_snapshot"] = str(snapshot)
        # Without a snapshot yet, the first start writes it and a second one reads it.
        writing = args.snapshot and not snapshot.exists()
        log = path.with_suffix(".log")
        print(f"events: {args.events}; cores: {os.cpu_count()}; load: {os.getloadavg()[0]:.1f}")
        for start in range(2 if writing else 1):
            replica = BotProcess(tg, url, log, webhook=True, log_level="INFO", **settings)
            started = time.monotonic()
            replica.start(timeout=900)
            ready = time.monotonic() - started
            assert replica.process is not None
            resident, cpu = resident_mb(replica.process.pid), cpu_seconds(replica.process.pid)
            kind = "building the index"
            if args.snapshot:
                kind = "writing the snapshot" if writing and start == 0 else "from the snapshot"
            print(
                f"start {kind}: ready in {ready:.1f} s ({cpu:.1f} s of CPU), "
                f"{resident:.0f} MB resident"
            )
            if writing and start == 0:
                replica.stop()
        try:
            edit_under_load(tg, url, args, questions, target)
            _, health = replica.health()
            print(f"replica index: {health['index']}")
        finally:
            replica.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
