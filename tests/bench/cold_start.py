"""Time `claimbot ask` from a cold process: `python tests/bench/cold_start.py [--runs N]`.

Each run is a new Python process answering one question on a temporary SQLite database, as a
user's first `claimbot ask` does; the first run may fill the start-up cache (word lists and
gazetteer), so it is reported apart. Prints wall-clock and CPU seconds (median of the rest).
`--root` runs another checkout's code (to compare with an older version).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--question", default="makiivka death toll")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        environment = {
            **os.environ,
            "PYTHONPATH": str(args.root),
            "CLAIMBOT_DATABASE_URL": f"sqlite:///{directory}/cold.db",
            "CLAIMBOT_CACHE_DIR": f"{directory}/cache",
        }
        run(args.root, environment, "init")
        first = run(args.root, environment, "ask", args.question)
        rest = [run(args.root, environment, "ask", args.question) for _ in range(args.runs - 1)]
    print(f"code: {args.root}")
    print(f"first run (may build the start-up cache): {first[0]:.2f} s wall, {first[1]:.2f} s CPU")
    print(
        f"cold runs after it (median of {len(rest)}): "
        f"{statistics.median(w for w, _ in rest):.2f} s wall, "
        f"{statistics.median(c for _, c in rest):.2f} s CPU"
    )


if __name__ == "__main__":
    main()
