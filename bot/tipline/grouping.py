"""When two questions are one: the matcher's text folding, then a fuzzy comparison, so
"how many died in Testville?" and "How many people died at Testville??" share an item."""

import re
from collections.abc import Sequence

from rapidfuzz import fuzz

from bot.matching.text import STOPWORDS, clean, word_key, words

# token_sort_ratio of the folded forms at or above this is the same question (not
# token_set_ratio: "Makiivka" is not the same question as "Makiivka HIMARS depot").
SAME_QUESTION = 85
MAX_FOLDED = 1000
KEY_WORDS = 6
ALIAS_LIMIT = 100

_UKRAINIAN = re.compile(r"[іїєґІЇЄҐ]")
_CYRILLIC = re.compile(r"[а-яА-ЯёЁ]")
_POLISH = re.compile(r"[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")
_GERMAN = re.compile(r"[äöüßÄÖÜ]")
_WORD = re.compile(r"\w+")


def folded(text: str) -> str:
    """The question's meaningful words in one spelling, whatever the script."""
    cleaned = clean(text)
    keys = [word_key(w) for w in words(cleaned) if w not in STOPWORDS]
    # A question of stop words only ("what?") is compared as it is, not as nothing.
    return (" ".join(keys) or " ".join(cleaned.split()))[:MAX_FOLDED]


def same_question(text: str, open_items: Sequence[tuple[int, str]]) -> int | None:
    """The open item this folded question repeats, if any (the most similar one)."""
    best: tuple[float, int] | None = None
    for item_id, other in open_items:
        score = 100.0 if other == text else fuzz.token_sort_ratio(text, other)
        if score >= SAME_QUESTION and (best is None or score > best[0]):
            best = (score, item_id)
    return best[1] if best else None


def language_of(text: str) -> str:
    """The question's language, guessed from its letters (enough for the figures)."""
    if _UKRAINIAN.search(text):
        return "uk"
    if _CYRILLIC.search(text):
        return "ru"
    if _POLISH.search(text):
        return "pl"
    if _GERMAN.search(text):
        return "de"
    return "en"


def key_words(text: str) -> str:
    """The question's own words that carry meaning: what an alias of the event would be."""
    kept = [w for w in _WORD.findall(text) if not set(words(clean(w))) <= STOPWORDS]
    return " ".join(kept[:KEY_WORDS])[:ALIAS_LIMIT]
