"""Measure the question matcher on labelled questions: `make eval`.

Each line of a questions file is `{"q", "event", "must_mention", "kind", "split"}`. `event` null
means the bot must not answer with an event: kind "ambiguous" expects an offer of candidates,
kind "two_events" an offer holding both events in `offer`, every other kind (negatives) no
answer. Questions go through the same path as the bot's (AnswerService on a temporary SQLite
database holding the bundled seed); an answer passes only when it is the right event and its
rendered text mentions every `must_mention` string.

The project's set (tests/eval/questions.jsonl) was split once, with a fixed seed, into a
development part (used to train and tune the matcher) and a held-out part (never tuned on).
For each part this prints, overall and per kind: top-1 (the right event answered), wrong answers
(an event answered for a question about another event or about none), and "within one click"
(the right event answered or offered among the buttons); and, for questions about none of our
events, how many got buttons instead of a plain no-match (not wrong, but not right). Targets on
the held-out part: no wrong answer, top-1 >= 97 %, within one click >= 99 %. The public sample
(../shared/eval/sample_questions.jsonl, read when present) must pass whole: every event answered,
every negative a no-match, every ambiguous question an offer. The exit code is 1 when a target is
missed.
"""

import argparse
import json
import os
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.answering import Answer, AnswerService  # noqa: E402
from bot.card_cache import CardCache  # noqa: E402
from bot.matching import Matcher  # noqa: E402
from db.bootstrap import initialise  # noqa: E402
from db.engine import make_engine, make_session_factory  # noqa: E402

QUESTIONS = ROOT / "tests" / "eval" / "questions.jsonl"
# The public sample sits in ../shared beside the project's checkout (two levels up from a
# worktree under wt/); CLAIMBOT_EVAL_SAMPLE names another copy.
SAMPLE = next(
    (
        path
        for path in (
            Path(os.environ.get("CLAIMBOT_EVAL_SAMPLE", "/nonexistent")),
            ROOT.parent / "shared" / "eval" / "sample_questions.jsonl",
            ROOT.parent.parent / "shared" / "eval" / "sample_questions.jsonl",
        )
        if path.exists()
    ),
    ROOT.parent / "shared" / "eval" / "sample_questions.jsonl",
)
TOP1_TARGET = 0.97
ONE_CLICK_TARGET = 0.99


@dataclass(frozen=True)
class Row:
    question: str
    event: str | None
    must_mention: tuple[str, ...]
    kind: str
    split: str
    offer: tuple[str, ...]


@dataclass(frozen=True)
class Result:
    row: Row
    outcome: str  # answer, ambiguous or no_match
    answered: str | None  # the slug answered
    offered: tuple[str, ...]
    mentions_ok: bool

    @property
    def top1(self) -> bool:
        """Right, as strictly as possible: the right event, or the expected kind of refusal."""
        row = self.row
        if row.event is not None:
            return self.answered == row.event and self.mentions_ok
        if row.kind == "ambiguous":
            return self.outcome == "ambiguous"
        if row.kind == "two_events":
            return self.outcome == "ambiguous" and set(row.offer) <= set(self.offered)
        # Buttons for a question about none of our events send the user to claims that do
        # not answer it: not wrong, but not right either.
        return self.outcome == "no_match"

    @property
    def needless_offer(self) -> bool:
        """Buttons offered for a question about none of our events: as in `top1`, any kind
        without an event but the two that expect an offer (another set may call its
        negatives "chat" or "other_event")."""
        row = self.row
        return (
            row.event is None
            and row.kind not in ("ambiguous", "two_events")
            and self.outcome == "ambiguous"
        )

    @property
    def wrong(self) -> bool:
        """An event's claims shown for a question about another event or about none."""
        return self.answered is not None and self.answered != self.row.event

    @property
    def one_click(self) -> bool:
        """The right event answered or among the offered buttons (or, without one, no answer)."""
        row = self.row
        if row.event is None:
            return not self.wrong and (row.kind != "two_events" or self.top1)
        return self.top1 or (self.outcome == "ambiguous" and row.event in self.offered)


def load_rows(path: Path) -> list[Row]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            rows.append(
                Row(
                    record["q"],
                    record["event"],
                    tuple(record.get("must_mention", ())),
                    record["kind"],
                    record.get("split", "sample"),
                    tuple(record.get("offer", ())),
                )
            )
    return rows


def run(row: Row, service: AnswerService) -> Result:
    answer: Answer = service.ask(row.question)
    outcome = str(answer.outcome.value)
    answered = answer.event.slug if answer.event is not None else None
    text = answer.text().casefold() if answered else ""
    return Result(
        row,
        outcome,
        answered,
        tuple(c.slug for c in answer.candidates),
        all(mention.casefold() in text for mention in row.must_mention),
    )


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}% ({part}/{whole})" if whole else "n/a"


def line(label: str, results: list[Result]) -> str:
    with_event = [r for r in results if r.row.event is not None]
    top1 = percent(sum(r.top1 for r in with_event), len(with_event))
    one_click = percent(sum(r.one_click for r in with_event), len(with_event))
    right = percent(sum(r.top1 for r in results), len(results))
    return (
        f"  {label:16} n={len(results):4}  top-1 {top1:17}  one click {one_click:17}"
        f"  right {right:17}"
        f"  wrong {sum(r.wrong for r in results)}"
        f"  buttons for no event {sum(r.needless_offer for r in results)}"
    )


def describe(result: Result) -> str:
    shown = ", ".join(result.offered) or "-"
    return f"{result.outcome} [{shown}]"


def report(title: str, results: list[Result], verbose: bool) -> tuple[float, float, int, int]:
    """Print one part's figures; returns (top-1, within one click, wrong answers, questions
    with an event)."""
    print(f"== {title}")
    with_event = [r for r in results if r.row.event is not None]
    top1 = sum(r.top1 for r in with_event) / max(1, len(with_event))
    one_click = sum(r.one_click for r in with_event) / max(1, len(with_event))
    wrong = sum(r.wrong for r in results)
    print(
        "  top-1 and one click count questions with an event; right counts all (a no-match "
        "is right without an event, an offer for ambiguous ones)"
    )
    print(line("all", results))
    by_kind: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        by_kind[result.row.kind].append(result)
    for kind, kind_results in sorted(by_kind.items()):
        print(line(kind, kind_results))
    failures = [r for r in results if not r.top1]
    print(f"  not right: {len(failures)}")
    for result in failures if verbose else [r for r in failures if r.wrong]:
        expected = result.row.event or (
            "offer " + "+".join(result.row.offer) if result.row.offer else result.row.kind
        )
        mark = "WRONG" if result.wrong else "miss"
        print(
            f"    {mark:5} [{result.row.kind}] {result.row.question[:90]!r}: expected {expected}, "
            f"got {describe(result)}"
        )
    print()
    return top1, one_click, wrong, len(with_event)


def parts(results: Iterable[Result]) -> dict[str, list[Result]]:
    split: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        split[result.row.split].append(result)
    return split


def targets_met(name: str, top1: float, one_click: float, wrong: int, with_event: int) -> bool:
    # A set of questions about no event of ours (negatives alone) has no top-1 to miss.
    met = wrong == 0 and (
        with_event == 0 or (top1 >= TOP1_TARGET and one_click >= ONE_CLICK_TARGET)
    )
    target = "no wrong answer"
    if with_event:
        target += f", top-1 >= {TOP1_TARGET:.0%}, within one click >= {ONE_CLICK_TARGET:.0%}"
    print(f"target on {name}: {target} -> {'met' if met else 'MISSED'}")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    parser.add_argument(
        "--questions",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="also measure this question file (same lines; must_mention and split may be "
        "left out) against the held-out targets: a set written by others, say",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{directory}/eval.db")
        sessions = make_session_factory(engine)
        initialise(engine, sessions)
        service = AnswerService(engine, Matcher(), CardCache(100))
        service.rebuild_index()
        split = parts(run(row, service) for row in load_rows(QUESTIONS))
        sample = [run(row, service) for row in load_rows(SAMPLE)] if SAMPLE.exists() else []
        others = {path: [run(row, service) for row in load_rows(path)] for path in args.questions}
        engine.dispose()

    report(f"development part of {QUESTIONS.name}", split["dev"], args.verbose)
    met = targets_met(
        "the held-out part",
        *report(f"held-out part of {QUESTIONS.name}", split["heldout"], args.verbose),
    )
    for path, results in others.items():
        met = targets_met(str(path), *report(str(path), results, args.verbose)) and met
    if sample:
        sample_failures = [r for r in sample if not r.top1]
        report(f"public sample {SAMPLE}", sample, args.verbose)
        for result in sample_failures:
            print(f"    sample miss {result.row.question!r}: got {describe(result)}")
        print(
            f"target on the public sample: every question passes -> "
            f"{'met' if not sample_failures else 'MISSED'}"
        )
        met = met and not sample_failures
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
