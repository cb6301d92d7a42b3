"""Measure the question matcher on labelled questions: `python tests/eval/evaluate.py [PATH ...]`.

Each line of a questions file is `{"q", "event", "must_mention", "kind"}`; `event` null means the
bot must not answer with an event (kind "negative": NO_MATCH expected, kind "ambiguous":
AMBIGUOUS expected). Questions go through the same path as the bot's (AnswerService on a
temporary SQLite database holding the bundled seed), and an answer passes only when its
rendered text mentions every `must_mention` string.

Per file it prints top-1 accuracy on questions with an event, abstention on questions without
one (and how many were wrongly answered), ambiguous recognition, the figures per kind and every
failure. Targets: the public sample (sample_questions.jsonl) must pass whole; any other file
needs top-1 ≥ 97 % and no wrong answer on questions without an event. The exit code is 1 when
a target is missed.
"""

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.answering import Answer, AnswerService  # noqa: E402
from bot.card_cache import CardCache  # noqa: E402
from bot.matching import Matcher, MatchThresholds, Outcome  # noqa: E402
from db.bootstrap import initialise  # noqa: E402
from db.engine import make_engine, make_session_factory  # noqa: E402

DEFAULT_FILES = (
    ROOT / "tests" / "eval" / "questions.jsonl",
    ROOT.parent / "shared" / "eval" / "sample_questions.jsonl",
)
SAMPLE_NAME = "sample_questions.jsonl"
TOP1_TARGET = 0.97


@dataclass(frozen=True)
class Row:
    question: str
    event: str | None
    must_mention: tuple[str, ...]
    kind: str

    @property
    def expected(self) -> str:
        if self.event is not None:
            return f"answer {self.event}"
        return Outcome.AMBIGUOUS if self.kind == "ambiguous" else Outcome.NO_MATCH

    def passed(self, answer: Answer) -> bool:
        if self.event is not None:
            if answer.event is None or answer.event.slug != self.event:
                return False
            text = answer.text().casefold()
            return all(mention.casefold() in text for mention in self.must_mention)
        expected = Outcome.AMBIGUOUS if self.kind == "ambiguous" else Outcome.NO_MATCH
        return answer.outcome == expected


def load_rows(path: Path) -> list[Row]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            rows.append(
                Row(record["q"], record["event"], tuple(record["must_mention"]), record["kind"])
            )
    return rows


def describe(answer: Answer) -> str:
    shown = ", ".join(f"{c.slug} {c.score:.0f}" for c in answer.candidates) or "-"
    return f"{answer.outcome.value} [{shown}]"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}% ({part}/{whole})" if whole else "n/a"


def evaluate(path: Path, service: AnswerService, verbose: bool) -> bool:
    rows = load_rows(path)
    results = [(row, service.ask(row.question)) for row in rows]
    with_event = [(r, m) for r, m in results if r.event is not None]
    without = [(r, m) for r, m in results if r.event is None]
    right = sum(r.passed(m) for r, m in with_event)
    abstained = sum(m.outcome != Outcome.ANSWER for _, m in without)
    wrong_answers = len(without) - abstained
    ambiguous = [(r, m) for r, m in without if r.kind == "ambiguous"]
    negative = [(r, m) for r, m in without if r.kind != "ambiguous"]
    wrong_event = sum(m.outcome == Outcome.ANSWER and not r.passed(m) for r, m in with_event)

    print(f"== {path}")
    print(f"questions: {len(rows)}")
    print(f"top-1 accuracy (questions with an event): {percent(right, len(with_event))}")
    print(f"  answered with a wrong event: {wrong_event}")
    print(f"abstention (questions without an event): {percent(abstained, len(without))}")
    print(f"  wrongly answered: {wrong_answers}")
    recognised = sum(r.passed(m) for r, m in ambiguous)
    refused = sum(r.passed(m) for r, m in negative)
    print(f"ambiguous recognised: {percent(recognised, len(ambiguous))}")
    print(f"negatives refused as no_match: {percent(refused, len(negative))}")
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for row, result in results:
        by_kind[row.kind].append(row.passed(result))
    print("per kind:")
    for kind, passed in sorted(by_kind.items()):
        print(f"  {kind:16} {percent(sum(passed), len(passed))}")

    failures = [(r, m) for r, m in results if not r.passed(m)]
    print(f"failures: {len(failures)}")
    for row, result in failures:
        got = describe(result)
        print(f"  [{row.kind}] {row.question[:100]!r}: expected {row.expected}, got {got}")
    if verbose:
        for row, result in results:
            print(f"  ok={row.passed(result)!s:5} {row.question[:70]!r} -> {describe(result)}")

    if path.name == SAMPLE_NAME:
        met = not failures
        print(f"target: every question passes -> {'met' if met else 'MISSED'}")
    else:
        met = right >= TOP1_TARGET * len(with_event) and wrong_answers == 0
        print(
            f"target: top-1 >= {TOP1_TARGET:.0%} and no wrong answer without an event -> "
            f"{'met' if met else 'MISSED'}"
        )
    print()
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("paths", nargs="*", type=Path)
    defaults = MatchThresholds()
    parser.add_argument("--answer", type=float, default=defaults.answer)
    parser.add_argument("--ask", type=float, default=defaults.ask)
    parser.add_argument("--margin", type=float, default=defaults.margin)
    parser.add_argument("-v", "--verbose", action="store_true", help="print every question")
    args = parser.parse_args()
    paths = args.paths or [path for path in DEFAULT_FILES if path.exists()]

    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{directory}/eval.db")
        sessions = make_session_factory(engine)
        initialise(engine, sessions)
        thresholds = MatchThresholds(args.answer, args.ask, args.margin)
        service = AnswerService(sessions, Matcher(thresholds), CardCache(sessions, 100))
        service.rebuild_index()
        results = [evaluate(path, service, args.verbose) for path in paths]
        engine.dispose()
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
