"""Train the matcher's decision model on the development questions: `make train-matcher`.

For every development question (tests/eval/questions.jsonl, split "dev"; the held-out part is
never read) the matcher describes its leading candidate events by their evidence
(`bot.matching.decision.FEATURES`); a logistic regression learns from them whether a candidate
is the event the question is about. Then the probability levels of the decision (answer, a
runner-up that makes it an offer, offer, in scope) are chosen on the same questions, each
ranked by models fit on the other four fifths of them (so the levels are set on probabilities
like those of unseen questions): the fewest wrong answers first, then the most right answers
and offers; of equally good levels the middle one, so that no decision sits on a knife's edge.
Writes bot/matching/decision_model.json.

The result depends only on the seed data and the development questions (no random start, inputs
in file order, weights rounded), so the committed file must be exactly what this script writes
from a clean checkout: `--check` (`make check-matcher`, run by CI) retrains without writing and
exits 1 when the committed file differs.

`--out-of-fold` judges the method without the held-out part: each fifth of the development
questions is decided by the whole training (weights and levels) run on the other four fifths,
and the figures are printed (about a minute). `--out-of-fold --misses` also lists each question
about an event that was not answered with it, with what stopped the answer (its probability
under the answer level, the question's under the scope level, a runner-up, another event named),
and the questions about no event that models fit without them rate above the answer level:
those set the levels.
"""

import argparse
import itertools
import json
import statistics
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.matching import Matcher  # noqa: E402
from bot.matching.decision import (  # noqa: E402
    INPUTS,
    MODEL_PATH,
    Decision,
    Levels,
    MatchResult,
    Model,
    Ranking,
    Regression,
    Scored,
    choose,
    inputs,
    rank,
)
from db.seed import load_seed  # noqa: E402
from tests.matching_documents import event_documents_from_dataset  # noqa: E402

QUESTIONS = ROOT / "tests" / "eval" / "questions.jsonl"
# Costs of the decision's mistakes on the development questions.
WRONG_ANSWER = 50.0  # another event's claims shown: the worst outcome
NOT_ANSWERED = 1.0  # the right event offered or missed instead of answered
NOT_OFFERED = 1.0  # the right event (or, for a vague question, any) not even offered
# Buttons offered for a question about no event of ours. At 0.3 the levels let a retrained model
# offer buttons for "Grimbly barracks explosion" (no event of ours) and for 28 development
# negatives; the product promises a plain "no" for those.
NEGATIVE_OFFERED = 0.5
L2 = 0.3
TRAINED_CANDIDATES = 2
# The development questions are cut into this many folds, in file order, to choose the levels.
FOLDS = 5
PLATEAU = 0.05
# Weights are written to this many decimals, so that the last bits of floating-point arithmetic
# on another machine cannot change the committed file.
DECIMALS = 6
OFFERED_KINDS = ("ambiguous", "two_events")
ANSWER_GRID = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99)
SECOND_GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
OFFER_GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
SCOPE_GRID = (0.0, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95)


@dataclass(frozen=True)
class Question:
    text: str
    event: str | None
    kind: str
    offer: tuple[str, ...]
    candidates: list[Scored]


def load() -> list[Question]:
    blank = Regression(
        tuple(0.0 for _ in INPUTS),
        0.0,
        tuple(0.0 for _ in INPUTS),
        tuple(1.0 for _ in INPUTS),
    )
    placeholder = Model(blank, blank, Levels(1.0, 1.0, 1.0, 1.0))
    matcher = Matcher(placeholder)
    matcher.rebuild(event_documents_from_dataset(load_seed()))
    questions = []
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["split"] != "dev":
            continue
        questions.append(
            Question(
                record["q"],
                record["event"],
                record["kind"],
                tuple(record.get("offer", ())),
                matcher.evidence(record["q"]),
            )
        )
    return questions


def leading(question: Question) -> list[Scored]:
    """The candidates the decision is about: the leading ones that are not ruled out."""
    return [c for c in question.candidates if not c.vetoed][:TRAINED_CANDIDATES]


def event_rows(questions: list[Question]) -> list[tuple[tuple[float, ...], float]]:
    return [(inputs(s.features), float(s.slug == q.event)) for q in questions for s in leading(q)]


def scope_rows(questions: list[Question]) -> list[tuple[tuple[float, ...], float]]:
    """The best candidate's evidence, and whether the question is about any of our events
    (or fits several of them: a vague question is worth an offer)."""
    ranked = ((q, leading(q)) for q in questions)
    return [
        (inputs(candidates[0].features), float(q.event is not None or q.kind in OFFERED_KINDS))
        for q, candidates in ranked
        if candidates
    ]


def fit(rows: list[tuple[tuple[float, ...], float]]) -> Regression:
    x = np.array([features for features, _ in rows], dtype=float)
    y = np.array([label for _, label in rows])
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0
    z = (x - means) / scales
    weights = np.zeros(z.shape[1])
    bias = 0.0
    # Plain gradient descent on the L2-regularised log loss: small data, convex problem.
    for _ in range(5000):
        p = 1 / (1 + np.exp(-(z @ weights + bias)))
        gradient = z.T @ (p - y) / len(y) + L2 * weights / len(y)
        weights -= 0.5 * gradient
        bias -= 0.5 * float(np.mean(p - y))
    return Regression(
        tuple(round(float(w), DECIMALS) for w in weights),
        round(bias, DECIMALS),
        tuple(round(float(m), DECIMALS) for m in means),
        tuple(round(float(s), DECIMALS) for s in scales),
    )


def cost(questions: list[Question], rankings: list[Ranking], levels: Levels) -> float:
    total = 0.0
    for q, ranking in zip(questions, rankings, strict=True):
        result = choose(ranking, levels)
        slugs = [c.slug for c in result.candidates]
        answered = slugs[0] if result.outcome == Decision.ANSWER else None
        if answered is not None and answered != q.event:
            total += WRONG_ANSWER
        elif q.event is not None:
            if answered != q.event:
                total += NOT_ANSWERED
                if q.event not in slugs:
                    total += NOT_OFFERED
        elif q.kind in ("ambiguous", "two_events"):
            if result.outcome != Decision.AMBIGUOUS or not set(q.offer) <= set(slugs):
                total += NOT_OFFERED
        elif result.outcome == Decision.AMBIGUOUS:
            total += NEGATIVE_OFFERED
    return total


# Levels under which `choose` answers, offers, or says no match whenever it can.
ALWAYS = {
    Decision.ANSWER: Levels(0.0, 2.0, 0.0, 0.0),
    Decision.AMBIGUOUS: Levels(2.0, 2.0, 0.0, 2.0),
    Decision.NO_MATCH: Levels(2.0, 2.0, 2.0, 2.0),
}


def grid_costs(
    questions: list[Question], rankings: list[Ranking]
) -> dict[tuple[float, ...], float]:
    """The cost of every combination of levels in the grids, from each question's cost under
    each of the three outcomes and `choose`'s rule, applied to all questions at once."""
    pairs = list(zip(questions, rankings, strict=True))
    outcome_cost = {
        outcome: np.array([cost([q], [r], levels) for q, r in pairs])
        for outcome, levels in ALWAYS.items()
    }
    ranked = np.array([bool(r.ranked) for r in rankings])
    best = np.array([r.ranked[0][0] if r.ranked else 0.0 for r in rankings])
    runner_up = np.array([r.runner_up for r in rankings])
    in_scope = np.array([r.in_scope for r in rankings])
    costs: dict[tuple[float, ...], float] = {}
    for levels in itertools.product(ANSWER_GRID, SECOND_GRID, OFFER_GRID, SCOPE_GRID):
        answer, second, offer, answer_scope = levels
        answered = ranked & (best >= answer) & (runner_up < second) & (in_scope >= answer_scope)
        offered = ranked & ~answered & (in_scope >= offer)
        costs[levels] = float(
            np.where(
                answered,
                outcome_cost[Decision.ANSWER],
                np.where(
                    offered, outcome_cost[Decision.AMBIGUOUS], outcome_cost[Decision.NO_MATCH]
                ),
            ).sum()
        )
    return costs


def cross_fitted(questions: list[Question]) -> list[Ranking]:
    """Each question ranked by models fit on the other folds: the levels are chosen on
    probabilities like those of questions the model has never seen. Chosen on the model's own
    training questions, they sat just above the few negatives it had learnt by heart and
    answered new ones."""
    blank_levels = Levels(1.0, 1.0, 1.0, 1.0)
    rankings: list[Ranking | None] = [None] * len(questions)
    for fold in range(FOLDS):
        rest = [q for i, q in enumerate(questions) if i % FOLDS != fold]
        model = Model(fit(event_rows(rest)), fit(scope_rows(rest)), blank_levels)
        for i, q in enumerate(questions):
            if i % FOLDS == fold:
                rankings[i] = rank(q.candidates, model)
    return [ranking for ranking in rankings if ranking is not None]


def train(questions: list[Question]) -> tuple[Model, float, float]:
    """The model for these questions; with the best cost over the level grid and the cost at
    the levels chosen."""
    event, scope = fit(event_rows(questions)), fit(scope_rows(questions))
    costs = grid_costs(questions, cross_fitted(questions))
    best = min(costs.values())
    # Levels within a few percent of the best are as good, given how few questions decide
    # between them: take the middle of that plateau rather than its edge, one level at a time.
    plateau = [levels for levels, value in costs.items() if value <= best * (1 + PLATEAU)]
    chosen_levels: list[float] = []
    for position in range(4):
        values = sorted({levels[position] for levels in plateau})
        chosen_levels.append(statistics.median_low(values))
        plateau = [levels for levels in plateau if levels[position] == chosen_levels[-1]]
    answer, second, offer, answer_scope = chosen_levels
    levels = Levels(answer, second, offer, answer_scope)
    return Model(event, scope, levels), best, costs[(answer, second, offer, answer_scope)]


def out_of_fold(questions: list[Question], misses: bool = False) -> None:
    """Decide each development question by the whole training (weights and levels) run on the
    other four fifths of them, and print the figures: what the method gives on questions it
    was not trained on, without looking at the held-out part. The same fold models are also
    judged at the levels training on the whole part chooses, which tells the weights' part
    from the levels'. With `misses`, each question about an event that was not answered with
    it is listed with what stopped the answer, and those causes are counted."""
    whole = train(questions)[0].levels
    own: list[tuple[Question, MatchResult]] = []
    at_whole: list[tuple[Question, MatchResult]] = []
    stopped: list[tuple[Question, list[str]]] = []
    for fold in range(FOLDS):
        rest = [q for i, q in enumerate(questions) if i % FOLDS != fold]
        model, _, _ = train(rest)
        print(f"fold {fold + 1}: levels {model.levels}")
        for q in questions[fold::FOLDS]:
            ranking = rank(q.candidates, model)
            result = choose(ranking, model.levels)
            own.append((q, result))
            at_whole.append((q, choose(ranking, whole)))
            answered = result.outcome == Decision.ANSWER and result.candidates[0].slug == q.event
            if q.event is not None and not answered:
                stopped.append((q, _causes(q, ranking, model.levels)))
    _print_figures("out of fold on the development part", own)
    _print_figures(f"the same fold models at the whole part's levels ({whole})", at_whole)
    if misses:
        print(f"not answered out of fold: {len(stopped)}")
        for q, causes in stopped:
            print(f"  [{q.kind}] {q.text[:90]!r} ({q.event}): {'; '.join(causes)}")
        counted = Counter(cause.split(" ")[0] for _, causes in stopped for cause in causes)
        print("  causes: " + ", ".join(f"{cause} {n}" for cause, n in counted.most_common()))
        # The levels must stay above these: a negative answered costs as much as 50 questions
        # offered instead of answered.
        print(f"questions about no event rated at least {whole.answer} by models fit without them:")
        for q, ranking in zip(questions, cross_fitted(questions), strict=True):
            if q.event is None and ranking.ranked and ranking.ranked[0][0] >= whole.answer:
                best, scored = ranking.ranked[0]
                print(
                    f"  {best:.3f} (in scope {ranking.in_scope:.2f}) {scored.slug}: "
                    f"[{q.kind}] {q.text[:80]!r}"
                )


def _causes(q: Question, ranking: Ranking, levels: Levels) -> list[str]:
    """What kept `choose` from answering the question with its event, each cause named by its
    first word."""
    if not ranking.ranked:
        return ["no-candidate (every candidate ruled out, or none)"]
    best, scored = ranking.ranked[0]
    causes = []
    if scored.slug != q.event:
        causes.append(f"ranked-first {scored.slug}")
    if best < levels.answer:
        causes.append(f"probability {best:.2f} < {levels.answer}")
    if ranking.runner_up >= levels.second:
        causes.append(f"runner-up {ranking.runner_up:.2f} >= {levels.second}")
    if ranking.in_scope < levels.answer_scope:
        causes.append(f"scope {ranking.in_scope:.2f} < {levels.answer_scope}")
    if scored.misspelt_name:
        causes.append("misspelt-name")
    if scored.another_named:
        causes.append("another-event-named")
    return causes


def _print_figures(title: str, results: list[tuple[Question, MatchResult]]) -> None:
    with_event = [(q, r) for q, r in results if q.event is not None]
    top1 = sum(
        r.outcome == Decision.ANSWER and r.candidates[0].slug == q.event for q, r in with_event
    )
    one_click = sum(q.event in [c.slug for c in r.candidates] for q, r in with_event)
    wrong = [
        q.text
        for q, r in results
        if r.outcome == Decision.ANSWER and r.candidates[0].slug != q.event
    ]
    negatives = [r for q, r in results if q.event is None and q.kind not in OFFERED_KINDS]
    offered = sum(r.outcome == Decision.AMBIGUOUS for r in negatives)
    n = len(with_event)
    print(
        f"{title}: top-1 {100 * top1 / n:.1f}% ({top1}/{n}), "
        f"within one click {100 * one_click / n:.1f}% ({one_click}/{n}), wrong {len(wrong)}, "
        f"buttons for no event {offered}/{len(negatives)}"
    )
    for text in wrong:
        print(f"  wrong: {text!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help=f"exit 1 if {MODEL_PATH.name} is not what training writes now; write nothing",
    )
    parser.add_argument(
        "--out-of-fold",
        action="store_true",
        help="print the figures of models trained without each fifth of the development part",
    )
    parser.add_argument(
        "--misses",
        action="store_true",
        help="with --out-of-fold, list each question not answered with its event, and why",
    )
    args = parser.parse_args()
    questions = load()
    if args.out_of_fold:
        out_of_fold(questions, args.misses)
        return 0
    chosen, best, at_levels = train(questions)
    levels, event, scope = chosen.levels, chosen.event, chosen.scope
    trained = json.dumps(chosen.to_json(), indent=2) + "\n"
    if args.check:
        if MODEL_PATH.read_text(encoding="utf-8") != trained:
            print(f"{MODEL_PATH} is not what training writes: run `make train-matcher`")
            return 1
        print(f"{MODEL_PATH} is what training writes")
        return 0
    MODEL_PATH.write_text(trained, encoding="utf-8")
    print(f"{len(questions)} development questions, best cost {best:.1f}")
    print(f"cost at the chosen levels {at_levels:.1f}")
    print(
        f"levels: answer {levels.answer}, second {levels.second}, offer {levels.offer}, "
        f"scope {levels.answer_scope}"
    )
    print(f"  {'input':34} {'event':>6} {'scope':>6}")
    for name, weight, in_scope in zip(INPUTS, event.weights, scope.weights, strict=True):
        print(f"  {name:34} {weight:+6.2f} {in_scope:+6.2f}")
    print(f"wrote {MODEL_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
