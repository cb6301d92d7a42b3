"""Misspellings that answered the wrong event among many names (the million-alias benchmark's
wrong answers, `tests/bench/bench_matching.py`), read among a thousand events of its shape."""

import datetime as dt
import random

import pytest

from bot.matching import Alias, Decision, EventDocument, Matcher, ranking
from bot.matching import index as index_module
from bot.matching.gazetteer import gazetteer
from bot.matching.index import Index
from bot.matching.question import QuestionReader
from bot.matching.text import common_words

SYLLABLES = (
    "ka", "ra", "vo", "li", "mi", "ne", "to", "sha", "dov", "ko",
    "len", "gra", "rin", "pol", "zan", "bur", "tel", "mar", "ost", "yev",
)  # fmt: skip


def town(index: int, place: str, kind: str, *spellings: str) -> EventDocument:
    """An event as the benchmark makes them: a town's name, other spellings and a keyword."""
    day = dt.date(2022, 3, 1) + dt.timedelta(days=index % 700)
    return EventDocument(
        slug=f"e{index}",
        title=f"{kind.capitalize()} in {place}",
        summary=f"Reported {kind} in {place}; casualty figures are disputed.",
        place=place,
        region=None,
        country="Mexico",
        start_date=day,
        end_date=day,
        aliases=(
            Alias(place, None, "name"),
            *(Alias(spelling, None, "transliteration") for spelling in spellings),
            Alias(f"{place} {kind}", "en", "keyword"),
        ),
        claim_terms=("Local officials",),
    )


@pytest.fixture(scope="module")
def towns() -> Matcher:
    rng = random.Random(5)
    others = [
        town(100 + i, "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize(), "strike")
        for i in range(1000)
    ]
    built = Matcher()
    built.rebuild(
        [
            town(0, "Santa Bárbara", "missile attack", "Santa Barbara"),
            town(1, "Santa Rosa (Santa Bárbara)", "drone attack", "Santa Rosa (Santa Barbara)"),
            town(2, "Nogi", "drone attack", "Nogy", "ye mu"),
            town(3, "Nohar", "missile attack", "Nohor Tehsils", "Nohor Tehsyls"),
            town(4, "Qubo Saeed Khan", "missile attack", "Qubo Saeed Khan Tehsil"),
            town(5, "Melchor Ocampo", "shelling", "Melkhor Ocampo", "Ocampo"),
            town(6, "Melchor Ocampo (San Jerónimo)", "explosion", "Melkhor Ocampo (San Jeronimo)"),
            town(7, "Measham", "missile attack", "Measzam", "Mieasham"),
            town(8, "Méasnes", "shelling", "Measnes", "Méasniies"),
            *others,
        ]
    )
    return built


@pytest.mark.parametrize(
    ("question", "meant"),
    [
        ("was SantayRosa (Santa Bárbara) hit by missiles?", "e1"),
        ("how many died in Noho rTehsyls?", "e3"),
        ("Melkhor Ocampo (Sa nJeronimo)", "e6"),
    ],
)
def test_a_name_with_a_space_moved_answers_no_other_event(
    towns: Matcher, question: str, meant: str
) -> None:
    """Read word by word, a name of several words with a space moved or dropped named only
    the shorter name it holds (Santa Bárbara), or a town whose key "Noho" folds to (Nogi):
    that event was answered. Now the event meant is answered or among the buttons."""
    result = towns.match(question)
    assert result.outcome != Decision.NO_MATCH
    if result.outcome == Decision.ANSWER:
        assert result.candidates[0].slug == meant
    assert meant in [candidate.slug for candidate in result.candidates]


@pytest.mark.parametrize(
    ("question", "slug"),
    [
        ("Santa Rosa (Santa Bárbara) drone attack", "e1"),
        ("how many died in Nogi?", "e2"),
        ("how many died in Nohor Tehsyls?", "e3"),
        ("Melkhor Ocampo shelling", "e5"),
        ("Melkhor Ocampo (San Jeronimo) explosion", "e6"),
    ],
)
def test_names_spelt_with_their_spaces_still_answer(
    towns: Matcher, question: str, slug: str
) -> None:
    result = towns.match(question)
    assert (result.outcome, result.candidates[0].slug) == (Decision.ANSWER, slug)


def test_a_misspelling_read_as_another_spelling_of_a_town_is_no_sure_name(
    towns: Matcher,
) -> None:
    """ "Méasiies", meant for Méasnes (one edit from its spelling "Méasniies"), folds to the
    key of Miass, a Russian town, and so does Measham: read as Measham's spelling of Miass, it
    answered Measham. Now it is no answer; the names themselves still answer."""
    assert towns.match("Méasiies").outcome != Decision.ANSWER
    for question, slug in (("Measham", "e7"), ("Méasnes shelling", "e8")):
        result = towns.match(question)
        assert (result.outcome, result.candidates[0].slug) == (Decision.ANSWER, slug)


def test_candidates_ranked_with_numpy_are_those_ranked_in_dicts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A large index ranks the candidates of common words with numpy, a small one in dicts:
    the same events in the same order, equal ranks included (names of a few common words give
    many), and still after events change."""
    monkeypatch.setattr(index_module, "ARRAYED_DF", 8)  # arrays kept for most of these words
    rng = random.Random(11)

    def named(number: int) -> EventDocument:
        words = rng.sample(SYLLABLES, rng.randint(1, 3))
        return town(number, " ".join(word.capitalize() for word in words), "strike")

    index = Index(gazetteer())
    with index.filling():
        for number in range(300):
            index.upsert(named(number))
    index.total_up()
    reader = QuestionReader(index.gazetteer, common_words(), index)
    questions = [" ".join(rng.sample(SYLLABLES, rng.randint(1, 4))) for _ in range(40)]

    def ranked_both_ways() -> None:
        for question in questions:
            query = reader.read(question)
            monkeypatch.setattr(ranking, "NUMPY_RANKING", 10**9)
            in_dicts = ranking.candidates(index, query)
            monkeypatch.setattr(ranking, "NUMPY_RANKING", 1)
            assert ranking.candidates(index, query) == in_dicts

    ranked_both_ways()
    for number in range(0, 300, 3):
        index.upsert(named(number))  # the same slug, other names
    for number in range(1, 300, 7):
        index.remove(f"e{number}")
    ranked_both_ways()
