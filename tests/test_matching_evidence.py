"""Evidence that singles out one event: words only it holds, and names of two events at once."""

import pytest

from bot.matching import Decision, Matcher
from bot.matching.decision import FEATURES, Levels, Ranking, choose
from db.seed import load_seed
from tests.matching_documents import event_documents_from_dataset, strike_at


@pytest.fixture(scope="module")
def towns() -> Matcher:
    built = Matcher()
    built.rebuild(
        [
            strike_at(0, "Sindala", ("Spokesman Varukhin said 140 soldiers were killed",)),
            strike_at(1, "Kampen", ("Mayor Dorrepaal said the depot was empty",)),
            strike_at(2, "Washburn", ("Mayor Dorrepaal visited the site",)),
        ]
    )
    return built


@pytest.fixture(scope="module")
def seeded() -> Matcher:
    built = Matcher()
    built.rebuild(event_documents_from_dataset(load_seed()))
    return built


def feature(matcher: Matcher, question: str, slug: str, name: str) -> float:
    scored = {s.slug: s for s in matcher.evidence(question)}
    return scored[slug].features[FEATURES.index(name)]


def test_a_claimant_of_one_event_only_is_counted_and_a_shared_one_is_not(
    towns: Matcher,
) -> None:
    assert feature(towns, "what did Varukhin say", "strike-0", "unique_words") == 0.5
    assert feature(towns, "Varukhin 140", "strike-0", "unique_words") == 1.0
    # Two events quote the mayor, every event the local officials: neither singles one out.
    assert feature(towns, "what did Dorrepaal say", "strike-1", "unique_words") == 0.0
    assert feature(towns, "local officials", "strike-0", "unique_words") == 0.0


def test_an_everyday_word_one_event_happens_to_use_is_not_its_own(towns: Matcher) -> None:
    """Only the Sindala strike's claims say "soldiers", but that says nothing about it."""
    assert feature(towns, "soldiers", "strike-0", "unique_words") == 0.0
    assert feature(towns, "Kampen soldiers", "strike-1", "foreign_unique") == 0.0


@pytest.mark.parametrize(
    ("question", "slug"),
    [
        ("How many kamikaze drones hit Kyiv on the first night of 2023?", "kyiv-drone-attack"),
        ("Is Putin planning another partial mobilisation?", "russian-mobilisation"),
        ("Makiivka strike: the last figures", "makiivka-strike"),
    ],
)
def test_everyday_words_of_another_events_articles_do_not_stop_an_answer(
    seeded: Matcher, question: str, slug: str
) -> None:
    """ "first", "last", "Putin" are in one other event's texts only, and still name nothing."""
    result = seeded.match(question)
    assert result.outcome == Decision.ANSWER
    assert result.best is not None and result.best.slug == slug


def test_a_claimant_of_another_event_counts_against_the_place_named(towns: Matcher) -> None:
    assert feature(towns, "Varukhin statement Kampen", "strike-1", "foreign_unique") == 0.5
    assert feature(towns, "Dorrepaal statement Kampen", "strike-1", "foreign_unique") == 0.0


def test_a_claimant_of_one_event_beside_another_events_town_is_no_answer(
    seeded: Matcher,
) -> None:
    """Cherevaty speaks in the Kramatorsk strike's claims only: his name beside Bakhmut's is
    not a question about the Bakhmut losses."""
    result = seeded.match("Cherevaty statement Bakhmut 2023")
    assert result.outcome != Decision.ANSWER


@pytest.mark.parametrize(
    "question",
    [
        "Makiivka and Kramatorsk, compare the death tolls",
        "Kramatorsk or Makiivka: whose figures are right?",
    ],
)
def test_a_question_naming_two_events_offers_both(seeded: Matcher, question: str) -> None:
    result = seeded.match(question)
    assert result.outcome == Decision.AMBIGUOUS
    offered = {c.slug for c in result.candidates}
    assert {"makiivka-strike", "kramatorsk-strike"} <= offered


def test_the_retaliation_named_after_its_cause_is_still_answered(seeded: Matcher) -> None:
    result = seeded.match("Kramatorsk strike, the retaliation for Makiivka: how many died?")
    assert result.outcome == Decision.ANSWER
    assert result.best is not None and result.best.slug == "kramatorsk-strike"


def test_the_event_named_as_the_cause_is_no_second_candidate(seeded: Matcher) -> None:
    """ "The payback for Makiivka" names Makiivka only as what the strike asked for answered:
    however likely the model rates it, it does not make that answer an offer."""
    scored = {s.slug: s for s in seeded.evidence("payback for the Makiivka strike: any dead?")}
    retaliation, cause = scored["kramatorsk-strike"], scored["makiivka-strike"]
    assert cause.cause and not retaliation.cause
    levels = Levels(answer=0.8, second=0.3, offer=0.3, answer_scope=0.9)
    result = choose(Ranking(((0.99, retaliation), (0.5, cause)), in_scope=0.99), levels)
    assert result.outcome == Decision.ANSWER
    assert result.best is not None and result.best.slug == "kramatorsk-strike"
    # Another event as likely still makes it an offer.
    other = scored["new-year-missile-strikes"]
    offered = choose(Ranking(((0.99, retaliation), (0.5, other)), in_scope=0.99), levels)
    assert offered.outcome == Decision.AMBIGUOUS


def test_a_claimant_of_another_event_beside_an_events_name_is_an_offer(seeded: Matcher) -> None:
    """Cherevaty speaks in the Kramatorsk strike's claims only: with Makiivka's name the
    question may be about either, so both are buttons, neither an answer."""
    result = seeded.match("Makiivka strike: Cherevaty statement")
    assert result.outcome == Decision.AMBIGUOUS
    offered = {c.slug for c in result.candidates}
    assert {"makiivka-strike", "kramatorsk-strike"} <= offered


def test_a_figure_only_other_events_hold_beside_an_events_name_is_an_offer(
    seeded: Matcher,
) -> None:
    """700 is the 31 December losses' figure (and a Kramatorsk claim's), never Makiivka's."""
    result = seeded.match("Makiivka and the 700 Russians killed on 31 December: the same?")
    assert result.outcome == Decision.AMBIGUOUS
    offered = {c.slug for c in result.candidates}
    assert {"makiivka-strike", "russian-losses-dec-31"} <= offered
    # The event's own figures still answer.
    assert seeded.match("Makiivka 63 or 89 dead?").outcome == Decision.ANSWER
