"""Generated data sets at scale (issue #14): N events with 5 claims and 3-5 aliases each.

The same seed always gives the same data, so figures from two runs (or two engineers) compare.
Run as a script it writes a claimbot-dataset JSON file that `claimbot import` reads:

    .venv/bin/python tests/bench/scale_data.py --events 100000 --out /tmp/scale-100k.json
"""

import argparse
import datetime as dt
import json
import random
import sys
from pathlib import Path
from typing import Any

SYLLABLES = [
    "ka",
    "ra",
    "vo",
    "li",
    "mi",
    "ne",
    "to",
    "sha",
    "dov",
    "ko",
    "len",
    "gra",
    "rin",
    "pol",
    "zan",
    "bur",
    "tel",
    "mar",
    "ost",
    "yev",
    "hor",
    "lyn",
    "pet",
    "sla",
    "vin",
    "dan",
    "ber",
    "nik",
    "tom",
    "zel",
    "chu",
    "kov",
    "yar",
    "bro",
    "vel",
    "ski",
]
METRICS = ("killed", "wounded", "present", "munitions_fired", "damage")
SIDES = ("russia", "ukraine", "pro_russia", "pro_ukraine", "independent")
KINDS = ("government", "armed_forces", "official", "news_outlet", "blogger")
SOURCES = 200
DOCUMENTS = 500


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def generate(events: int, seed: int = 14) -> dict[str, Any]:
    """A dataset as plain JSON-ready data (what an export of that many events looks like)."""
    rng = random.Random(seed)
    sources = [
        {
            "name": f"Source {i} {_name(rng, 2)}",
            "kind": KINDS[i % len(KINDS)],
            "side": SIDES[i % len(SIDES)],
        }
        for i in range(SOURCES)
    ]
    documents = [
        {
            "key": f"doc-{i}",
            "publisher": sources[(i * len(KINDS) + 3) % SOURCES]["name"],  # a news outlet
            "headline": f"Report on {_name(rng, 3)}",
            "published_on": (dt.date(2022, 3, 1) + dt.timedelta(days=i % 900)).isoformat(),
        }
        for i in range(DOCUMENTS)
    ]
    event_records: list[dict[str, Any]] = []
    claim_records: list[dict[str, Any]] = []
    for e in range(events):
        place = f"{_name(rng, 3)}{e}"
        day = dt.date(2022, 2, 24) + dt.timedelta(days=e % 1000)
        slug = f"event-{e}-{place.lower()}"
        event_records.append(
            {
                "slug": slug,
                "title": f"Strike on {place}",
                "summary": f"A strike on {place} reported on {day.isoformat()}.",
                "place": place,
                "start_date": day.isoformat(),
                "aliases": [
                    {"text": f"{place} {word}"}
                    for word in ("strike", "attack", "shelling", "blast", "raid")[
                        : rng.randint(3, 5)
                    ]
                ],
            }
        )
        for c in range(5):
            figure = rng.randint(1, 900)
            claim_records.append(
                {
                    "key": f"{slug}-c{c}",
                    "event": slug,
                    "claimant": sources[rng.randrange(SOURCES)]["name"],
                    "metric": METRICS[c],
                    "qualifier": "exact",
                    "low": figure,
                    "high": figure,
                    "wording": f"{figure} people",
                    "summary": f"{figure} reported at {place}",
                    "quote": f"We can say that {figure} were affected in {place}.",
                    "stated_on": day.isoformat(),
                    "appearances": [{"article": f"doc-{rng.randrange(DOCUMENTS)}"}],
                }
            )
    return {
        "format": "claimbot-dataset",
        "version": 1,
        "sources": sources,
        "documents": documents,
        "events": event_records,
        "claims": claim_records,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.write_text(json.dumps(generate(args.events, args.seed)), encoding="utf-8")
    print(f"{args.events} events written to {args.out} ({args.out.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
