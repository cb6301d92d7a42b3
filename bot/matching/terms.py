"""Terms: a text as the matcher compares it, one tuple of terms per word or fixed expression.

Words become phonetic keys (`text.word_key`); domain words and expressions become concept
terms ("#killed"); words that name a date are left out (`dates` reads them).
"""

import functools
import re

from bot.matching.dates import dateless_words
from bot.matching.lexicon import LEXICON, MAX_PHRASE, PHRASE_HEADS, PHRASES
from bot.matching.text import STOPWORDS, clean, word_key, words


def units(text: str, concepts: bool = True) -> list[tuple[str, ...]]:
    """The terms of a text, one tuple per word or fixed expression; dates left out.

    Without `concepts` words stay words: a town called Civile is no #civilian."""
    return cleaned_units(clean(text), concepts)


def many_units(texts: list[str]) -> list[list[tuple[str, ...]]]:
    """`units` of several texts, cleaned in one pass (building a big index is mostly this)."""
    cleaned = clean(_SEPARATOR.join(text.replace(_SEPARATOR, " ") for text in texts))
    parts = cleaned.split(_SEPARATOR)
    if len(parts) != len(texts):  # cleaning merged or split a separator: do it one by one
        return [units(text) for text in texts]
    return [cleaned_units(part, True) for part in parts]


def cleaned_units(cleaned: str, concepts: bool) -> list[tuple[str, ...]]:
    keys = [word_key(word) for word in dateless_words(cleaned) if word not in STOPWORDS]
    if not concepts:
        return [(key,) for key in keys]
    if PHRASE_HEADS.isdisjoint(keys):
        # No fixed expression starts here: each word is its own unit (`concepts_at`), and a
        # build reads millions of them.
        return [LEXICON.get(key, (key,)) for key in keys]
    found: list[tuple[str, ...]] = []
    index = 0
    while index < len(keys):
        size, terms = concepts_at(keys, index)
        found.append(terms)
        index += size
    return found


def concepts_at(keys: list[str], index: int) -> tuple[int, tuple[str, ...]]:
    """The terms of the word or fixed expression at `index`, and how many words it takes."""
    key = keys[index]
    if key in PHRASE_HEADS:
        for size in range(min(MAX_PHRASE, len(keys) - index), 1, -1):
            phrase = PHRASES.get(tuple(keys[index : index + size]))
            if phrase:
                return size, phrase
    return 1, LEXICON.get(key, (key,))


# Between texts cleaned together: survives cleaning as it is, and no text contains it.
_SEPARATOR = " qqqq "

# Names and titles of the few leading events are re-read at match time; they repeat.
cached_units = functools.lru_cache(maxsize=4096)(units)


@functools.lru_cache(maxsize=4096)
def plain(text: str) -> str:
    return " ".join(words(clean(text)))


def place_parts(place: str) -> list[str]:
    # "Donetsk, Kharkiv and Chernihiv" names three places.
    return [part for part in re.split(r",|\band\b|;|/", place) if part.strip()]


def is_concept(term: str) -> bool:
    return term.startswith("#")
