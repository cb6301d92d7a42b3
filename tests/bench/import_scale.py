"""Time and peak memory of `claimbot import` at scale (issue #14):

    .venv/bin/python tests/bench/import_scale.py [--events 10000] [--postgres URL] [--old DIR]

Writes a generated data set of N events (tests/bench/scale_data.py) as JSON, then runs
`claimbot import` twice as a new process each time: into an empty SQLite database, and
again into the same database, which then already holds every record. With `--postgres URL`
(an empty database that may be filled) the same two imports run on PostgreSQL. Prints the
wall-clock and CPU time and the process's peak resident memory (from the kernel, `wait4`)
of each, with the load average when it ended (the machine may be shared).

With `--old DIR`, a copy of older code (`git archive main | tar -x -C DIR`), each import
also runs with that code, right after the same import with this code, into a database of
its own, and the ratio of their CPU times is printed: figures from one run compare.
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


def timed_import(path: Path, database_url: str, code: Path | None) -> tuple[float, float, int, str]:
    """Wall-clock and CPU seconds, peak RSS in bytes and the summary's last line, of one
    `claimbot import` (CPU time tells more than the clock on a machine shared with others),
    with the code in `code` if given (it comes first on the module path)."""
    environment = {**os.environ, "CLAIMBOT_DATABASE_URL": database_url, "CLAIMBOT_TOKEN": ""}
    if code is not None:
        environment["PYTHONPATH"] = str(code)
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


def report(database: str, path: Path, database_urls: dict[str, str], old: Path | None) -> None:
    """Both imports into `database_urls["new"]` (and, with `old`, the old code's into
    `database_urls["old"]`, each right after the new code's)."""
    size = path.stat().st_size
    codes: dict[str, Path | None] = {"new": None} | ({"old": old} if old else {})
    for label, code in codes.items():
        environment = {**os.environ, "CLAIMBOT_DATABASE_URL": database_urls[label]}
        if code is not None:
            environment["PYTHONPATH"] = str(code)
        subprocess.run([str(CLAIMBOT), "db", "upgrade"], env=environment, check=True)
    for into in ("an empty database", "a database holding it"):
        cpu_of: dict[str, float] = {}
        for label, code in codes.items():
            seconds, cpu, peak, outcome = timed_import(path, database_urls[label], code)
            cpu_of[label] = cpu
            load = os.getloadavg()[0]
            print(
                f"{database:<10} {label} code into {into:<22} {seconds:7.1f} s "
                f"({cpu:6.1f} s CPU)   peak RSS {peak / 2**20:7,.0f} MB "
                f"({peak / size:4.1f} x the file)   load {load:4.1f}   {outcome}",
                flush=True,
            )
        if old:
            print(
                f"{database:<10} into {into}: new / old CPU = {cpu_of['new'] / cpu_of['old']:.2f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database")
    parser.add_argument(
        "--old-postgres", metavar="URL", help="another empty PostgreSQL database, for --old"
    )
    parser.add_argument("--old", type=Path, metavar="DIR", help="older code to compare with")
    args = parser.parse_args()
    if args.old and args.postgres and not args.old_postgres:
        parser.error("--old with --postgres needs --old-postgres, a second empty database")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"scale-{args.events}.json"
        path.write_text(json.dumps(generate(args.events)), encoding="utf-8")
        records = 200 + 500 + 6 * args.events
        print(f"{args.events:,} events, {records:,} records, {path.stat().st_size / 2**20:,.0f} MB")
        sqlite = {label: f"sqlite:///{directory}/import-{label}.db" for label in ("new", "old")}
        report("SQLite", path, sqlite, args.old)
        if args.postgres:
            report("PostgreSQL", path, {"new": args.postgres, "old": args.old_postgres}, args.old)


if __name__ == "__main__":
    main()
