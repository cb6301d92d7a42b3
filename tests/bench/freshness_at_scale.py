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
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script: make `tests` importable

from sqlalchemy import func, insert, select  # noqa: E402

from bot.moderation.commands import COMMANDS  # noqa: E402
from bot.moderation.service import ModerationService  # noqa: E402
from db.engine import make_engine, make_session_factory, unit_of_work  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import (  # noqa: E402
    Appearance,
    AuditEntry,
    Claim,
    Document,
    Event,
    EventAlias,
    Source,
)
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


class Editor:
    """Another process than the replica, editing as a moderator's replica would: started
    before the users ask, so that neither its start nor its work shares this process (the
    Bot API server's) with the users' answers."""

    def __init__(self, url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--edit-from-stdin", url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._line() == "ready"

    def _line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def add_alias(self, slug: str, alias: str) -> int:
        """Add `alias` to the event; the newest audit entry id once it committed."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{slug}\t{alias}\n")
        self.process.stdin.flush()
        return int(self._line())

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def edit_from_stdin(url: str) -> None:
    """The editor process (`Editor`): one `/alias` per line of "slug<TAB>name"."""
    sessions = make_session_factory(make_engine(url))
    moderation = ModerationService(sessions, {ADMIN}, None)
    print("ready", flush=True)
    for line in sys.stdin:
        slug, alias = line.rstrip("\n").split("\t")
        moderation.execute(ADMIN, "alias", COMMANDS["alias"].bind(f'{slug} "{alias}" lang=en'))
        with unit_of_work(sessions) as session:
            newest = session.scalar(select(func.max(AuditEntry.id)))
        print(newest, flush=True)


def new_names(count: int) -> list[str]:
    """`count` names no run has used (the database is kept between runs)."""
    stamp, letters = int(time.time()), ""
    while stamp:
        stamp, digit = divmod(stamp, 26)
        letters += chr(ord("a") + digit)
    return [f"Zyxwv {letters} {chr(ord('a') + number)}" for number in range(count)]


def answered_after_edit(
    replica: BotProcess, checker: TgUser, change_id: int, alias: str, place: str
) -> None:
    """Wait until the replica answers a question naming the new `alias` with its event's card:
    its health report says when its index reached the edit (a light request, where asking
    again and again would add a user to the load being measured), then the question tells."""
    while True:
        _, health = replica.health()
        if (health["index"]["change_id"] or 0) >= change_id:
            checker.send(alias.lower())
            if place in checker.chat.next_bot_message(timeout=60).content:
                return
        time.sleep(0.02)


def edit_under_load(
    tg: FakeTelegram,
    replica: BotProcess,
    url: str,
    args: argparse.Namespace,
    questions: list[str],
    targets: list[dict[str, Any]],
) -> None:
    """--edits rounds of --baseline seconds without an edit, then an edit and --after
    seconds from it on, the users asking all along; answers are pooled by the window they
    were asked in."""
    editor = Editor(url)
    checker = tg.add_user("Checker")
    stop = threading.Event()
    askers = [Asker(tg.add_user(f"U{i}"), questions, stop) for i in range(args.users)]
    for asker in askers:
        asker.start()
    windows: list[tuple[float, float, bool]] = []  # (from, to, after an edit)
    delays: list[tuple[float, float]] = []  # (committed, answered), seconds after the edit
    for target, alias in zip(targets, new_names(args.edits), strict=True):
        quiet = time.monotonic()
        time.sleep(args.baseline)
        edited = time.monotonic()
        windows.append((quiet, edited, False))
        change_id = editor.add_alias(target["slug"], alias)
        committed = time.monotonic() - edited
        answered_after_edit(replica, checker, change_id, alias, target["place"])
        delays.append((committed, time.monotonic() - edited))
        time.sleep(max(0.0, edited + args.after - time.monotonic()))
        windows.append((edited, time.monotonic(), True))
    stop.set()
    for asker in askers:
        asker.join()
    editor.close()
    load = os.getloadavg()[0]
    for number, (committed, answered) in enumerate(delays, start=1):
        print(
            f"edit {number}: committed in {committed:.2f} s, "
            f"answered by the replica {answered:.2f} s after"
        )
    timings = [timing for asker in askers for timing in asker.timings]
    pooled: dict[bool, list[float]] = {False: [], True: []}
    for sent, seconds in timings:
        for start, end, after in windows:
            if start <= sent < end:
                pooled[after].append(seconds)
    p99 = {}
    for after, name in ((False, "without an edit"), (True, "from an edit on")):
        values = pooled[after]
        p50, p99[after] = statistics.median(values) * 1000, percentile(values, 0.99) * 1000
        print(
            f"answers {name}: {len(values)}, p50 {p50:.0f} ms, p99 {p99[after]:.0f} ms, "
            f"max {max(values) * 1000:.0f} ms"
        )
    # What an edit itself costs shows first in the answers asked right after it.
    right_after = [s for sent, s in timings if 0 <= since_edit(sent, windows) < 1]
    if right_after:
        print(
            f"answers asked within 1 s of an edit: {len(right_after)}, "
            f"p50 {statistics.median(right_after) * 1000:.0f} ms, "
            f"max {max(right_after) * 1000:.0f} ms"
        )
    slowest = sorted(timings, key=lambda timing: -timing[1])[:5]
    told = [f"{s * 1000:.0f} ms at {since_edit(sent, windows):+.1f} s" for sent, s in slowest]
    print("slowest answers, asked this long after the last edit (- before the first):")
    print("  " + ", ".join(told))
    print(
        f"p99 from an edit on / without one: {p99[True] / p99[False]:.2f} "
        f"(goal: at most 1.5); load average {load:.1f}"
    )


def since_edit(sent: float, windows: list[tuple[float, float, bool]]) -> float:
    edits = [start for start, _, after in windows if after and start <= sent]
    return sent - edits[-1] if edits else sent - windows[0][1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--database", type=Path, help="default /tmp/claimbot-bench/N.db")
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--baseline", type=float, default=10.0)
    parser.add_argument("--after", type=float, default=10.0)
    parser.add_argument("--edit-from-stdin", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument(
        "--snapshot",
        action="store_true",
        help="start with CLAIMBOT_INDEX_SNAPSHOT (writing it first if there is none)",
    )
    args = parser.parse_args()
    if args.edit_from_stdin:
        edit_from_stdin(args.edit_from_stdin)
        return 0
    path = args.database or Path(f"/tmp/claimbot-bench/scale-{args.events}.db")
    url = f"sqlite:///{path}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        build(url, args.events)
        print(f"built {path} in {time.monotonic() - started:.0f} s")
    data = generate(min(args.events, 200))
    questions = [f"how many died in {e['place']}?" for e in data["events"]]
    middle = len(data["events"]) // 2
    targets = data["events"][middle : middle + args.edits]
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
            edit_under_load(tg, replica, url, args, questions, targets)
            _, health = replica.health()
            print(f"replica index: {health['index']}")
        finally:
            replica.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
