"""Load test of the web site: the Makiivka page from `claimbot web` against a bare aiohttp
handler returning the same bytes, measured in the same run.

    python tests/load/web_load.py --seconds 5 --rounds 3 --connections 32

Both servers are real processes on the same machine: `claimbot web` on a fresh SQLite file
with the seed data (unless --database-url names one), and this script's own bare handler
(`--bare FILE`: one route answering the page's bytes, nothing else). The load comes from
`wrk` (Debian's package `wrk`: a client in C, so that the servers, not a Python client, are
what runs out of CPU). Rounds alternate between the two servers, so that whatever else the
machine is doing slows both alike; each round keeps `--connections` requests in flight for
`--seconds`. It prints each server's requests per second (all rounds' responses over their
time), the worst round's p50/p99 latency and errors, then the ratio of the two rates. Exit
status 1 on any error, a page that differs between the two, or a ratio below the goal
(issue 18: at least half the bare handler's rate).
"""

import argparse
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script: make `tests` importable

from tests.conftest import _free_port  # noqa: E402
from tests.web_site import fetch, running_site  # noqa: E402

PAGE = "/events/makiivka-strike"
GOAL = 0.5
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


@dataclass
class Tally:
    responses: int = 0
    errors: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0

    @property
    def rate(self) -> float:
        return self.responses / self.seconds if self.seconds else 0.0


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([0-9.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def _round(url: str, seconds: float, connections: int, tally: Tally) -> None:
    """One round of wrk against `url`, added to `tally`."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    done = re.search(r"(\d+) requests in ([0-9.]+)(us|ms|s)", out)
    assert done, out
    tally.responses += int(done.group(1))
    tally.seconds += _milliseconds(done.group(2) + done.group(3)) / 1000
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = SOCKET_ERRORS.search(out)
    tally.errors += int(errors.group(1)) if errors else 0
    tally.errors += sum(int(n) for n in sockets.groups()) if sockets else 0
    for share, attribute in (("50", "p50_ms"), ("99", "p99_ms")):
        found = re.search(rf"^\s+{share}%\s+(\S+)", out, re.M)
        assert found, out
        worst = max(getattr(tally, attribute), _milliseconds(found.group(1)))
        setattr(tally, attribute, worst)


def serve_bare(page: Path, port: int) -> None:
    """The floor: aiohttp answering the same bytes with no work at all."""
    body = page.read_bytes()

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get(PAGE, handler)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds for each server")
    parser.add_argument("--connections", type=int, default=32, help="requests in flight")
    parser.add_argument("--database-url", help="a migrated, seeded database (default: new)")
    parser.add_argument("--bare", type=Path, help=argparse.SUPPRESS)  # the bare server
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare:
        serve_bare(args.bare, args.port)
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="claimbot-web-load-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bot.db'}"
    try:
        with running_site(database_url, workdir / "web.log") as site:
            status, expected, _ = fetch(site + PAGE)
            assert status == 200, status
            page = workdir / "page.html"
            page.write_bytes(expected)
            port = _free_port()
            bare = subprocess.Popen(
                [sys.executable, __file__, "--bare", str(page), "--port", str(port)]
            )
            try:
                bare_url = f"http://127.0.0.1:{port}{PAGE}"
                while fetch(bare_url)[0] != 200:
                    assert bare.poll() is None, "the bare server exited"
                    time.sleep(0.05)
                assert fetch(bare_url)[1] == expected
                tallies = {"claimbot web": Tally(), "bare aiohttp": Tally()}
                urls = {"claimbot web": site + PAGE, "bare aiohttp": bare_url}
                for _ in range(args.rounds):
                    for name, tally in tallies.items():
                        _round(urls[name], args.seconds, args.connections, tally)
            finally:
                bare.send_signal(signal.SIGINT)
                bare.wait(30)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"Makiivka page, {len(expected):,} bytes; {args.rounds} rounds of {args.seconds:g} s "
        f"each, {args.connections} connections"
    )
    for name, tally in tallies.items():
        print(
            f"{name:>13}: {tally.rate:8.1f} requests/s  p50 {tally.p50_ms:6.1f} ms  "
            f"p99 {tally.p99_ms:6.1f} ms  errors {tally.errors}"
        )
    ratio = tallies["claimbot web"].rate / tallies["bare aiohttp"].rate
    met = ratio >= GOAL
    verdict = "met" if met else "MISSED"
    print(f"ratio claimbot web / bare aiohttp: {ratio:.2f} (goal >= {GOAL}: {verdict})")
    errors = sum(t.errors for t in tallies.values())
    return 0 if met and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
