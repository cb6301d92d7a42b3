"""Time a cold `claimbot ask`, or `claimbot run` until it polls: `python tests/bench/cold_start.py`.

Each run is a new Python process on a temporary SQLite database set up by `claimbot init`, as a
user's first command is. `ask` answers one question and exits; `--command run` starts the bot
against the local test Bot API server (`tests/botapi`) and stops it once it waits for updates
("ready"). The first run may fill the start-up caches (the matcher's word lists and gazetteer,
and Python's bytecode, which the benchmark lets Python write as it does for a user even where
PYTHONDONTWRITEBYTECODE is set), so it is reported apart. Prints wall-clock and CPU seconds
(median of the rest) and the load average. `--root` runs another checkout's code;
`--baseline OTHER` also times OTHER's code, its runs alternating with these on a database of
its own, and prints the ratio of the two, so both figures share one period of machine load
(e.g. a `git archive main` copy, for a change's gain). `--python` runs claimbot with another
interpreter, such as a virtual environment holding only requirements.lock, as a deployment
does (this one has the test tools, and httpcore imports trio when it is installed);
`--baseline-python` times the baseline with another one (by default, the code is the same).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make `tests` importable

from tests.botapi import FakeTelegram  # noqa: E402

CLAIMBOT = "import sys; from bot.cli import main; sys.argv = ['claimbot', *sys.argv[1:]]; main()"
TICKS = os.sysconf("SC_CLK_TCK")

Timing = tuple[float, float]  # wall-clock and CPU seconds
Runner = Callable[[str, Path, dict[str, str]], Timing]  # the python, the code, its settings


def ask(question: str) -> Runner:
    def run(python: str, root: Path, environment: dict[str, str]) -> Timing:
        started = time.perf_counter()
        before = os.times()
        subprocess.run(
            [python, "-c", CLAIMBOT, "ask", question],
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

    return run


def cpu_seconds(pid: int) -> float:
    """User and system time of a running process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def until_ready(tg: FakeTelegram) -> Runner:
    def run(python: str, root: Path, environment: dict[str, str]) -> Timing:
        environment = environment | {
            "CLAIMBOT_TOKEN": tg.token,
            "CLAIMBOT_BOT_API_URL": tg.base_url,
            "CLAIMBOT_BOT_API_FILE_URL": tg.base_file_url,
        }
        started = time.perf_counter()
        process = subprocess.Popen(
            [python, "-c", CLAIMBOT, "run"],
            cwd=root,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while tg.long_polls_waiting == 0:
                if process.poll() is not None:
                    raise RuntimeError(f"claimbot run exited with status {process.returncode}")
                time.sleep(0.002)
            timing = time.perf_counter() - started, cpu_seconds(process.pid)
        finally:
            process.terminate()
            process.wait(30)
        while tg.long_polls_waiting:  # the stopped bot's poll ends before the next starts
            time.sleep(0.01)
        return timing

    return run


def measure(
    python: str, root: Path, runner: Runner, runs: int, directory: Path
) -> Iterator[Timing]:
    """The first run of `root`'s code (after `init`), then one more run each time it is asked."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CLAIMBOT_") and key != "PYTHONDONTWRITEBYTECODE"
    }
    environment |= {
        "PYTHONPATH": str(root),
        "CLAIMBOT_DATABASE_URL": f"sqlite:///{directory}/cold.db",
        "CLAIMBOT_CACHE_DIR": f"{directory}/cache",
    }
    subprocess.run(
        [python, "-c", CLAIMBOT, "init"],
        cwd=root,
        env=environment,
        check=True,
        capture_output=True,
    )
    for _ in range(runs):
        yield runner(python, root, environment)


def report(python: str, root: Path, timings: list[Timing]) -> float:
    """Prints one checkout's figures; returns its median CPU seconds after the first run."""
    first, rest = timings[0], timings[1:]
    cpu = statistics.median(c for _, c in rest)
    print(f"code: {root}, python: {python}")
    print(f"first run (may build the start-up caches): {first[0]:.2f} s wall, {first[1]:.2f} s CPU")
    print(
        f"cold runs after it (median of {len(rest)}): "
        f"{statistics.median(w for w, _ in rest):.2f} s wall, {cpu:.2f} s CPU"
    )
    return cpu


def load_average() -> str:
    return ", ".join(f"{load:.2f}" for load in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--baseline", type=Path, help="another checkout to time alongside")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to run")
    parser.add_argument("--baseline-python", help="the baseline's interpreter (else --python)")
    parser.add_argument("--command", choices=["ask", "run"], default="ask")
    parser.add_argument("--question", default="how many died at Makiivka?")
    args = parser.parse_args()
    # Absolute, as each checkout runs in its own directory; not resolved, or a virtual
    # environment's python would become the interpreter it links to.
    python = str(Path.cwd() / args.python)
    setups = [(python, args.root)]
    if args.baseline is not None or args.baseline_python is not None:
        baseline_python = str(Path.cwd() / (args.baseline_python or args.python))
        setups.append((baseline_python, args.baseline or args.root))
    print(f"claimbot {args.command}; load average before: {load_average()}")
    with tempfile.TemporaryDirectory() as directory, FakeTelegram() as tg:
        runner = ask(args.question) if args.command == "ask" else until_ready(tg)
        runners = [
            measure(python, root, runner, args.runs, Path(directory) / str(number))
            for number, (python, root) in enumerate(setups)
        ]
        timings: list[list[Timing]] = [[] for _ in setups]
        for rounds in zip(*runners, strict=True):
            for collected, timing in zip(timings, rounds, strict=True):
                collected.append(timing)
    cpu = [report(*setup, collected) for setup, collected in zip(setups, timings, strict=True)]
    if len(cpu) == 2:
        print(f"CPU ratio, baseline / this code: {cpu[1] / cpu[0]:.2f}")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
