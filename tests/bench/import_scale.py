"""Time and peak memory of `claimbot import` at scale (issue #14):

    .venv/bin/python tests/bench/import_scale.py [--events 10000] [--postgres URL]

Writes a generated data set of N events (tests/bench/scale_data.py) as JSON, then runs
`claimbot import` twice as a new process each time: into an empty SQLite database, and
again into the same database, which then already holds every record. With `--postgres URL`
(an empty database that may be filled) the same two imports run on PostgreSQL. Prints the
wall-clock time and the process's peak resident memory (from the kernel, `wait4`) of each.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.scale_data import generate

CLAIMBOT = Path(sys.executable).with_name("claimbot")


def timed_import(path: Path, database_url: str) -> tuple[float, float, int, str]:
    """Wall-clock and CPU seconds, peak RSS in bytes and the summary's last line, of one
    `claimbot import` (CPU time tells more than the clock on a machine shared with others)."""
    environment = {**os.environ, "CLAIMBOT_DATABASE_URL": database_url, "CLAIMBOT_TOKEN": ""}
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(CLAIMBOT), "import", str(path)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"claimbot import failed:\n{output}")
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss * 1024, output.strip().splitlines()[-1]


def report(database: str, path: Path, database_url: str) -> None:
    size = path.stat().st_size
    environment = {**os.environ, "CLAIMBOT_DATABASE_URL": database_url}
    subprocess.run([str(CLAIMBOT), "db", "upgrade"], env=environment, check=True)
    for into in ("an empty database", "a database holding it"):
        seconds, cpu, peak, outcome = timed_import(path, database_url)
        print(
            f"{database:<10} into {into:<22} {seconds:7.1f} s ({cpu:6.1f} s CPU)   "
            f"peak RSS {peak / 2**20:7,.0f} MB ({peak / size:4.1f} x the file)   {outcome}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"scale-{args.events}.json"
        path.write_text(json.dumps(generate(args.events)), encoding="utf-8")
        records = 200 + 500 + 6 * args.events
        print(f"{args.events:,} events, {records:,} records, {path.stat().st_size / 2**20:,.0f} MB")
        report("SQLite", path, f"sqlite:///{directory}/import.db")
        if args.postgres:
            report("PostgreSQL", path, args.postgres)


if __name__ == "__main__":
    main()
