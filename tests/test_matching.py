"""The question matcher: normal forms, the three outcomes, hard negatives, odd input, updates."""

import datetime as dt
import random
import time
from dataclasses import replace

import pytest

from bot.matching import (
    Alias,
    EventDocument,
    Matcher,
    MatchThresholds,
    Outcome,
    event_documents_from_dataset,
)
from bot.normalise import DateMention, clean, find_dates, normalise, word_key
from db.seed import load_seed


@pytest.fixture(scope="module")
def documents() -> list[EventDocument]:
    return event_documents_from_dataset(load_seed())


@pytest.fixture(scope="module")
def matcher(documents: list[EventDocument]) -> Matcher:
    built = Matcher()
    built.rebuild(documents)
    return built


def answer(matcher: Matcher, question: str) -> str | None:
    result = matcher.match(question)
    if result.outcome != Outcome.ANSWER:
        return None
    assert result.best is not None
    return result.best.slug


# -- normalisation --------------------------------------------------------------------------


def test_normalise_transliterates_cyrillic_and_folds_case() -> None:
    assert normalise("Макіївка") == "makiivka"
    assert normalise("МАКЕЕВКА") == "makeevka"
    assert normalise("MaKiIvKa") == "makiivka"


def test_normalise_drops_emoji_punctuation_and_question_words() -> None:
    assert normalise("MAKIIVKA!!! how many??? 😡 🇺🇦") == "makiivka"
    assert normalise("Скільки загинуло в Макіївці?") == "zaginulo makiivtsi"
    assert normalise("   ") == ""
    assert normalise("\x00\u202e\u200d") == ""


def test_normalise_keeps_words_joined_by_apostrophes_and_figures_whole() -> None:
    assert normalise("Kramators'k") == "kramatorsk"
    assert normalise("перемир'я") == "peremirya"
    assert normalise("500,000 conscripts") == "500000 conscripts"
    assert normalise("Russia's losses") == "russia losses"


@pytest.mark.parametrize(
    "spelling",
    ["Makiivka", "Makeyevka", "Makeevka", "Makiyivka", "Makijiwka", "Makiejewka", "Макеевка",
     "Макіївці", "Макеевке", "Makijiwkę"],
)  # fmt: skip
def test_spellings_and_case_forms_of_one_town_share_a_key(spelling: str) -> None:
    (word,) = clean(spelling).split()
    assert word_key(word) == word_key("makiivka")


def test_different_towns_keep_different_keys() -> None:
    keys = {word_key(word) for word in ("makiivka", "makariv", "makarivka", "mykolaiv")}
    assert len(keys) == 4


def test_find_dates_reads_the_usual_ways_of_writing_a_date() -> None:
    mentions, rest = find_dates(clean("What happened on January 6, 2023 in Kramatorsk?"))
    assert mentions == [DateMention(2023, 1, 6)]
    assert "kramatorsk" in rest and "2023" not in rest
    assert find_dates(clean("31.12.2022"))[0] == [DateMention(2022, 12, 31)]
    assert find_dates(clean("8 січня 2023"))[0] == [DateMention(2023, 1, 8)]
    assert find_dates(clean("in 2015"))[0] == [DateMention(2015, None, None)]


def test_may_is_a_month_only_next_to_a_day_or_year() -> None:
    assert find_dates(clean("Russia may mobilise more men"))[0] == []
    assert find_dates(clean("Bakhmut in May 2023"))[0] == [DateMention(2023, 5, None)]


# -- the three outcomes on the seed data ----------------------------------------------------


@pytest.mark.parametrize(
    ("question", "slug"),
    [
        ("How many people died in Makiivka?", "makiivka-strike"),
        ("Makeyevka barracks", "makiivka-strike"),
        ("makievka casualties", "makiivka-strike"),
        ("Скільки російських військових загинуло в Макіївці?", "makiivka-strike"),
        ("Макеевка сколько убитых", "makiivka-strike"),
        ("Wie viele Soldaten starben in Makijiwka?", "makiivka-strike"),
        ("Did Russia's revenge strike for Makiivka actually kill anyone?", "kramatorsk-strike"),
        ("kramatorks strike", "kramatorsk-strike"),
        ("Kiev drone attack", "kyiv-drone-attack"),
        ("white phosphorus Kherson video", "kherson-incendiary-attack"),
        ("Is Russia preparing a second mobilisation wave?", "russian-mobilisation"),
    ],
)
def test_answers_questions_that_name_an_event(matcher: Matcher, question: str, slug: str) -> None:
    assert answer(matcher, question) == slug


@pytest.mark.parametrize(
    "question",
    ["how many were killed?", "what did the defence ministry say?", "how many soldiers died?"],
)
def test_vague_questions_ask_which_event_is_meant(matcher: Matcher, question: str) -> None:
    result = matcher.match(question)
    assert result.outcome == Outcome.AMBIGUOUS
    assert len(result.candidates) >= 2
    assert all(c.score >= matcher.thresholds.ask for c in result.candidates)


@pytest.mark.parametrize(
    "question",
    [
        "",
        "hello",
        "good morning",
        "what is the capital of France",
        "😀😀😀",
        "How many people died in Bucha?",
        "Makariv shelling casualties",
        "Makarivka shelling",
        "Mykolaiv missile strike",
        "Kremenchuk shopping mall strike",
    ],
)
def test_refuses_questions_about_no_event_or_another_place(matcher: Matcher, question: str) -> None:
    assert matcher.match(question).outcome == Outcome.NO_MATCH


@pytest.mark.parametrize(
    "question",
    [
        "Kramatorsk train station missile April 2022",
        "Makiivka in 2015",
        "Kyiv drone attack October 2022",
    ],
)
def test_refuses_the_same_place_at_another_time_but_suggests_it(
    matcher: Matcher, question: str
) -> None:
    result = matcher.match(question)
    assert result.outcome == Outcome.NO_MATCH
    assert result.best is not None  # "did you mean" the event at that place


def test_answer_leads_its_candidates(matcher: Matcher) -> None:
    result = matcher.match("Kramatorsk dormitory 28")
    assert result.outcome == Outcome.ANSWER
    assert result.best is not None and result.best.slug == "kramatorsk-strike"
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= score <= 100 for score in scores)


def test_thresholds_decide_the_outcome(documents: list[EventDocument]) -> None:
    strict = Matcher(MatchThresholds(answer=100.0, ask=99.0, margin=0.0))
    strict.rebuild(documents)
    assert strict.match("Makiivka strike").outcome == Outcome.NO_MATCH


# -- odd input ------------------------------------------------------------------------------


def test_any_input_is_matched_quickly_without_errors(matcher: Matcher) -> None:
    rng = random.Random(7)
    junk = [
        "x" * 10_000,
        " ".join(f"makiivka{i} kyiv{i}" for i in range(2_000)),
        "".join(chr(rng.randrange(0x110000)) for _ in range(10_000)),
        "\ud800\udfff\x00\x1b[31m\u202e",
        "9" * 5_000,
        "1/1/1 31.02.2023 2023-13-45",
    ]
    for text in junk:
        started = time.perf_counter()
        result = matcher.match(text)
        assert time.perf_counter() - started < 1.0
        assert result.outcome in set(Outcome)


# -- keeping the index current --------------------------------------------------------------


def test_upserted_alias_is_found_and_removal_forgets_it(documents: list[EventDocument]) -> None:
    matcher = Matcher()
    matcher.rebuild(documents)
    question = "What happened at Chornobaivka?"
    assert matcher.match(question).outcome == Outcome.NO_MATCH

    kherson = next(d for d in documents if d.slug == "kherson-incendiary-attack")
    extended = replace(kherson, aliases=(*kherson.aliases, Alias("Chornobaivka", "en", "name")))
    matcher.upsert(extended)
    assert len(matcher) == len(documents)
    assert answer(matcher, question) == "kherson-incendiary-attack"

    matcher.remove("kherson-incendiary-attack")
    assert len(matcher) == len(documents) - 1
    assert matcher.match(question).outcome == Outcome.NO_MATCH
    assert matcher.match("Kherson phosphorus").outcome == Outcome.NO_MATCH


def test_upsert_adds_a_new_event_beside_the_others(documents: list[EventDocument]) -> None:
    matcher = Matcher()
    matcher.rebuild(documents)
    event = EventDocument(
        slug="vuhledar-assault",
        title="Assault on Vuhledar",
        summary="Reported losses in an assault on Vuhledar.",
        place="Vuhledar",
        region="Donetsk Oblast",
        country="Ukraine",
        start_date=dt.date(2023, 2, 1),
        end_date=dt.date(2023, 2, 14),
        aliases=(Alias("Vuhledar", "en", "name"), Alias("Угледар", "ru", "name")),
    )
    assert matcher.match("Угледар").outcome == Outcome.NO_MATCH
    matcher.upsert(event)
    assert answer(matcher, "Угледар") == "vuhledar-assault"
    assert answer(matcher, "Makiivka") == "makiivka-strike"
    assert matcher.match("Vuhledar in March 2022").outcome == Outcome.NO_MATCH


def test_documents_from_the_seed_carry_claims(documents: list[EventDocument]) -> None:
    makiivka = next(d for d in documents if d.slug == "makiivka-strike")
    assert any("Girkin" in term for term in makiivka.claim_terms)
    assert makiivka.start_date == dt.date(2023, 1, 1)
