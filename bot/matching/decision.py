"""The decision: answer with one event, offer a few, or say that none matches.

Each candidate event is described by separate pieces of evidence (`FEATURES`, worked out by
`bot.matching.matcher`); a logistic regression trained on the development questions
(`tests/eval/train_decision.py`) turns them into the probability that the event is the one the
question is about. Its weights, and the probability levels the decision uses, were
chosen by that script and are read from `decision_model.json` beside this module:

* answer when the best event reaches `answer`, no other one reaches `second` (the event a
  question names as the cause of the one it asks for, "the retaliation for Makiivka", is no
  other one), the question is about one of our events at all (the second regression,
  below) with probability `answer_scope`, the question does not name the event only by a
  misspelling about as near to another event's name (among a million names, "Kkrala" is
  Kakrala or Krania), and it names no other event: by its name, by a word only that event
  holds (a claimant, a figure) and this one cannot explain, or by a figure other events hold
  and this one lacks;
* otherwise offer (at most three buttons and "None of these") the likeliest events, when a
  second regression, on the leading candidate's evidence, says the question is about one of
  our events at all with probability `offer` (a vague question fits several, none well);
* otherwise offer the events whose name (perhaps misspelt) the question gives when nothing
  else in it is specific ("was Kramatrosk hit?"): a misspelt name is worth buttons, not a bare
  no match;
* otherwise no match.
"""

import dataclasses
import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

MODEL_PATH = Path(__file__).with_name("decision_model.json")

# The pieces of evidence about one candidate event, in the order the model weighs them.
FEATURES = (
    "evidence",  # saturated sum over question words of similarity × field weight × share
    "named",  # the question names the event: a name, an alias, or its title's words
    "unexplained",  # share of the question's content words this event does not hold
    "named_unexplained",  # the same, for an event the question names: a name explains little
    "unknown",  # share of the question's words that no event holds
    "missing",  # share of the question's specific (rare) words this event lacks
    "claims",  # evidence from words only this event's claims hold (claimants, figures, quotes)
    "date_fit",  # a date the question names falls within the event's dates
    "date_conflict",  # every date the question names falls outside them
    "date_unknown",  # the question names a date; nothing says when this event was
    "foreign_place",  # the question names a place that is not this event's
    "related",  # the question asks for what this event is linked to ("retaliation for X")
    "lead",  # this event's evidence minus the best other candidate's
    "named_lead",  # the same, for an event the question names
    "verbatim",  # a name spelt exactly as the event spells it
    "place_unnamed",  # the event happened at a place, and the question does not name it
    "foreign_concepts",  # domain words of the question ("flood", "station") it lacks (up to 2)
    "unexplained_words",  # how many question words it does not hold (up to three)
    "rival_named",  # the question also names another event that explains what this cannot
    "length",  # how many words the question has (up to twelve)
    "unknown_words",  # how many of the question's words no event holds (up to two)
    "unique_words",  # how many question words no other event holds (up to two)
    "unique_share",  # share of the question's words that no other event holds
    "shared_claims",  # words of its claims the question gives that other events hold too
    "foreign_unique",  # question words that one other event alone holds (up to two)
)
# A name or strong evidence is worth less the more of the question the event cannot explain:
# the model weighs these products of two pieces of evidence too ("Kremlin drone attack" names
# the Kyiv drone attack's words and one word it cannot explain).
INTERACTIONS = tuple(
    (strong, against)
    for strong in ("evidence", "named")
    for against in (
        "unexplained",
        "unknown",
        "missing",
        "foreign_concepts",
        "unexplained_words",
        "unknown_words",
        "place_unnamed",
        "date_unknown",
        "length",
        "foreign_unique",
    )
)
_PAIRS = tuple((FEATURES.index(a), FEATURES.index(b)) for a, b in INTERACTIONS)
# What the regressions weigh: the evidence, then the products.
INPUTS = FEATURES + tuple(f"{a}*{b}" for a, b in INTERACTIONS)
MAX_OFFERED = 3


def inputs(features: Sequence[float]) -> tuple[float, ...]:
    """The regressions' inputs from one candidate's evidence (`FEATURES`)."""
    return (*features, *(features[a] * features[b] for a, b in _PAIRS))


class Decision(StrEnum):
    ANSWER = "answer"
    AMBIGUOUS = "ambiguous"
    NO_MATCH = "no_match"


@dataclass(frozen=True)
class Candidate:
    slug: str
    title: str
    score: float  # 0..100: the model's probability that this is the event meant, in percent


@dataclass(frozen=True)
class MatchResult:
    outcome: Decision
    # Best first. For ANSWER the first is the answer; for AMBIGUOUS the events offered.
    candidates: tuple[Candidate, ...]

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


@dataclass(frozen=True)
class Regression:
    """A logistic regression over `INPUTS` of a candidate's evidence, standardised as in
    training."""

    weights: tuple[float, ...]
    bias: float
    means: tuple[float, ...]
    scales: tuple[float, ...]

    def probability(self, features: Sequence[float]) -> float:
        z = self.bias + sum(
            w * (x - m) / s
            for w, x, m, s in zip(
                self.weights, inputs(features), self.means, self.scales, strict=True
            )
        )
        return 1 / (1 + math.exp(-max(-60.0, min(60.0, z))))

    def to_json(self) -> dict[str, object]:
        return {
            "weights": list(self.weights),
            "bias": self.bias,
            "means": list(self.means),
            "scales": list(self.scales),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Regression":
        return cls(
            tuple(data["weights"]), data["bias"], tuple(data["means"]), tuple(data["scales"])
        )


@dataclass(frozen=True)
class Model:
    """`event`: is this candidate the event the question is about? `scope`: is the question
    about one of our events at all (judged on its leading candidate)?"""

    event: Regression
    scope: Regression
    levels: "Levels"

    def probability(self, features: Sequence[float]) -> float:
        return self.event.probability(features)

    def to_json(self) -> dict[str, object]:
        return {
            "features": list(INPUTS),
            "event": self.event.to_json(),
            "scope": self.scope.to_json(),
            "thresholds": dataclasses.asdict(self.levels),
        }


@functools.cache
def load_model(path: Path = MODEL_PATH) -> Model:
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["features"]) != INPUTS:  # a model of another version: retrain
        raise ValueError(f"{path} was trained on other features; run tests/eval/train_decision.py")
    return Model(
        Regression.from_json(data["event"]),
        Regression.from_json(data["scope"]),
        Levels(**data["thresholds"]),
    )


@dataclass(frozen=True)
class Scored:
    """A candidate event with the evidence about it; `vetoed` ones are never answered or
    offered (another date or another place than the event's, and nothing naming it)."""

    slug: str
    title: str
    features: tuple[float, ...]
    vetoed: bool
    # The question gives one of the event's names, perhaps misspelt, and nothing else specific
    # that the event does not hold.
    name_only: bool
    # The question names it only by a misspelling about as near to another event's name.
    misspelt_name: bool
    # The question also names another event (by a name, when that event is not ruled out, by
    # a word only that event holds and this one cannot explain, or by a figure other events
    # hold and this one lacks), and does not ask for the one linked to it: it is about both,
    # and which one is a coin toss.
    another_named: bool
    # The question names it only as the cause of the event it asks for ("the retaliation for
    # Makiivka"): it is no second candidate beside that event.
    cause: bool = False


@dataclass(frozen=True)
class Ranking:
    """Candidates that are not ruled out, likeliest first, with the probability of each, and
    the probability that the question is about one of our events at all."""

    ranked: tuple[tuple[float, Scored], ...]
    in_scope: float

    @property
    def runner_up(self) -> float:
        """The probability of the likeliest other event the question may be about."""
        return next((p for p, s in self.ranked[1:] if not s.cause), 0.0)


@dataclass(frozen=True)
class Levels:
    answer: float
    second: float
    offer: float
    answer_scope: float


def rank(scored: Sequence[Scored], model: Model) -> Ranking:
    ranked = sorted(
        ((model.probability(s.features), s) for s in scored if not s.vetoed),
        key=lambda pair: -pair[0],
    )
    in_scope = model.scope.probability(ranked[0][1].features) if ranked else 0.0
    return Ranking(tuple(ranked), in_scope)


def choose(ranking: Ranking, levels: Levels) -> MatchResult:
    ranked = ranking.ranked

    def candidates(chosen: Sequence[tuple[float, Scored]]) -> tuple[Candidate, ...]:
        return tuple(Candidate(s.slug, s.title, round(100 * p, 1)) for p, s in chosen)

    if not ranked:
        return MatchResult(Decision.NO_MATCH, ())
    best = ranked[0][0]
    if (
        best >= levels.answer
        and ranking.runner_up < levels.second
        and ranking.in_scope >= levels.answer_scope
        and not ranked[0][1].misspelt_name
        and not ranked[0][1].another_named
    ):
        return MatchResult(Decision.ANSWER, candidates(ranked[:1]))
    if ranking.in_scope >= levels.offer:
        return MatchResult(Decision.AMBIGUOUS, candidates(ranked[:MAX_OFFERED]))
    named = [pair for pair in ranked if pair[1].name_only]
    if named:
        return MatchResult(Decision.AMBIGUOUS, candidates(named[:MAX_OFFERED]))
    return MatchResult(Decision.NO_MATCH, ())


def decide(scored: Sequence[Scored], model: Model) -> MatchResult:
    return choose(rank(scored, model), model.levels)
