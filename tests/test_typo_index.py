"""The typo index finds every key one edit from a word, however few trigrams they share."""

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import OSA

from bot.matching import typos


def test_a_key_one_edit_away_that_shares_one_trigram_is_found() -> None:
    """ "vuhp" (Wugpo, misspelt) is one edit from "vup" (Wupo) and "vuh" (Wuhe), but shares
    only "^vu" with "vup": counting trigrams found Wuhe alone."""
    index = typos.FuzzyIndex()
    for key in ("vup", "vuh", "zin"):
        index.add(key)
    nearest, _ = index.near("vuhp", 1)
    assert sorted(nearest) == [("vuh", 1), ("vup", 1)]


@settings(max_examples=150, derandomize=True, deadline=None)
@given(
    keys=st.lists(st.text(alphabet="abcdy!Ж", min_size=1, max_size=8), max_size=40),
    word=st.text(alphabet="abcdy!Ж", min_size=1, max_size=8),
)
def test_the_keys_one_edit_away_are_exactly_those(keys: list[str], word: str) -> None:
    index = typos.FuzzyIndex()
    for key in keys:
        index.add(key)
    expected = sorted({key for key in keys if OSA.distance(key, word) == 1})
    assert index.one_edit_away(word) == expected
    nearest, others = index.near(word, 1)
    if typos.max_edits(len(word) + 2):  # a word long enough to be misspelt
        found = {key for key, _ in nearest} | set(others)
        assert found >= {
            key for key in expected if OSA.distance(key, word) <= typos.max_edits(len(key) + 2)
        }
