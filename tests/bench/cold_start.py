"""Time `claimbot ask` from a cold process: `python tests/bench/cold_start.py [--runs N]`.

Each run is a new Python process answering one question on a temporary SQLite database, as a
user's first `claimbot ask` does; the first run may fill the start-up cache (word lists and
gazetteer), so it is reported apart. Prints wall-clock and CPU seconds (median of the rest).
`--root` runs another checkout's code; `--baseline OTHER` also times OTHER's code, its runs
alternating with these on a database of its own, and prints the ratio of the two, so both
figures share one period of machine load (e.g. a `git archive main` copy, for a change's gain).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ASK = "import sys; from bot.cli import main; sys.argv = ['claimbot', *sys.argv[1:]]; main()"


def run(root: Path, environment: dict[str, str], *args: str) -> tuple[float, float]:
    started = time.perf_counter()
    before = os.times()
    subprocess.run(
        [sys.executable, "-c", ASK, *args],
        cwd=root,
        env=environment,
        check=True,
        capture_output=True,
    )
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return time.perf_counter() - started, cpu


def measure(root: Path, question: str, runs: int, directory: Path) -> Iterator[tuple[float, float]]:
    """The first run of `root`'s code (after `init`), then one more run each time it is asked."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(root),
        "CLAIMBOT_DATABASE_URL": f"sqlite:///{directory}/cold.db",
        "CLAIMBOT_CACHE_DIR": f"{directory}/cache",
    }
    run(root, environment, "init")
    for _ in range(runs):
        yield run(root, environment, "ask", question)


def report(root: Path, timings: list[tuple[float, float]]) -> float:
    """Prints one checkout's figures; returns its median CPU seconds after the first run."""
    first, rest = timings[0], timings[1:]
    cpu = statistics.median(c for _, c in rest)
    print(f"code: {root}")
    print(f"first run (may build the start-up cache): {first[0]:.2f} s wall, {first[1]:.2f} s CPU")
    print(
        f"cold runs after it (median of {len(rest)}): "
        f"{statistics.median(w for w, _ in rest):.2f} s wall, {cpu:.2f} s CPU"
    )
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--baseline", type=Path, help="another checkout to time alongside")
    parser.add_argument("--question", default="makiivka death toll")
    args = parser.parse_args()
    roots = [args.root] if args.baseline is None else [args.root, args.baseline]
    with tempfile.TemporaryDirectory() as directory:
        runners = [
            measure(root, args.question, args.runs, Path(directory) / str(number))
            for number, root in enumerate(roots)
        ]
        timings: list[list[tuple[float, float]]] = [[] for _ in roots]
        for rounds in zip(*runners, strict=True):
            for collected, timing in zip(timings, rounds, strict=True):
                collected.append(timing)
    cpu = [report(root, collected) for root, collected in zip(roots, timings, strict=True)]
    if len(cpu) == 2:
        print(f"CPU ratio, baseline / this code: {cpu[1] / cpu[0]:.2f}")


if __name__ == "__main__":
    main()
