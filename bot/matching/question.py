"""Reading a question: its words as index terms (spelt right, a domain word, or within a few
typos of an indexed key), and the places and dates it names."""

from dataclasses import dataclass

from bot.matching.dates import DateMention, dated_new_years, find_dates, relative_dates
from bot.matching.gazetteer import Gazetteer
from bot.matching.index import NAME_LEVEL, Index
from bot.matching.lexicon import LEXICON
from bot.matching.terms import concepts_at
from bot.matching.text import STOPWORDS, clean, is_number, word_key, words
from bot.matching.typos import max_edits

# Longer questions are cut: none needs more, and matching time must stay bounded on any input.
# The one limit on a question, wherever it comes from (`bot/answering.py` cuts it too).
MAX_QUESTION_CHARS = 500
MAX_WORDS = 48  # content words of a question looked at, in order
MAX_FUZZY = 8  # fuzzy neighbours kept per word
# Similarity credited to a fuzzy match, by edit distance (0 = the same key).
FUZZY_SIMILARITY = (1.0, 0.85, 0.7)


@dataclass(slots=True)
class Unit:
    """One word or fixed expression of a question, with the terms it may stand for."""

    matches: list[tuple[str, float]]  # (term, similarity)
    known: bool  # matches a term some event holds
    concept: bool = False  # a domain word, whether or not an event holds it
    # A misspelling about as near to another event's name as to the names it matches.
    doubtful: bool = False
    # An everyday word of one of the five languages ("first", "million", "article"): one
    # event's text holding it alone does not make it that event's own.
    common: bool = False
    # The word's key, where it is the key of a name and the word is long enough to be a
    # misspelling: folding may have made a misspelling of one name another's key.
    key: str = ""


@dataclass(slots=True)
class Query:
    text: str  # the cleaned words, space-separated and -padded, for verbatim comparisons
    units: list[Unit]
    dates: list[DateMention]  # as the question writes them: each must fit
    relative: list[DateMention]  # weekdays, New Year's Eve: evidence when they fit
    places: list[tuple[str, ...]]  # gazetteer places the question names, as key tuples

    @property
    def unknown(self) -> int:
        return sum(not unit.known for unit in self.units)

    @property
    def unknown_share(self) -> float:
        return self.unknown / len(self.units) if self.units else 0.0


@dataclass(frozen=True)
class QuestionReader:
    """Reads questions against one index (made for each question: the matcher's index is
    replaced whole on a rebuild)."""

    _gazetteer: Gazetteer
    _common: frozenset[str]
    _index: Index

    def read(self, question: str) -> Query:
        cleaned = clean(question[:MAX_QUESTION_CHARS])
        dates, rest = find_dates(cleaned)
        dates += dated_new_years(cleaned)
        relative = relative_dates(cleaned)
        content = [word for word in words(rest) if word not in STOPWORDS][:MAX_WORDS]
        keys = [word_key(word) for word in content]
        ours, places = self._places(keys, content)
        foreign = {
            i
            for start, (size, mine) in places.items()
            if not mine
            for i in range(start, start + size)
        }
        units: list[Unit] = []
        index = 0
        while index < len(keys):
            if index in places and places[index][1]:
                size, mine = places[index]
                read_as = [key for keys_ in mine for key in keys_]
                unit = self._unit([(key, 1.0) for key in read_as])
                # Another spelling of one of our towns is read as our events' spelling, which
                # is then checked like a folded key (`near_another_name`): "Measiies", meant
                # for Measnes, folds to a spelling of Miass, and so does Measham.
                if size == 1 and len(read_as) == 1 and max_edits(len(content[index])):
                    unit.key = read_as[0]
                units.append(unit)
                index += size
                continue
            size, terms = concepts_at(keys, index)
            if size > 1:
                units.append(self._unit([(term, 1.0) for term in terms]))
            else:
                word = content[index]
                # A common word or a known other place is what it says, not a typo of ours.
                typos = max_edits(len(word))
                if index in foreign or word in self._common:
                    typos = 0
                unit = self._word_unit(keys[index], typos)
                unit.common = word in self._common
                units.append(unit)
            index += size
        # The same word twice is one piece of evidence, not two.
        seen: set[tuple[tuple[str, float], ...]] = set()
        kept: list[Unit] = []
        for unit in units:
            signature = tuple(unit.matches)
            if signature not in seen or not signature:
                seen.add(signature)
                kept.append(unit)
        return Query(f" {' '.join(words(rest))} ", kept, dates, relative, ours)

    def _places(
        self, keys: list[str], content: list[str]
    ) -> tuple[list[tuple[str, ...]], dict[int, tuple[int, set[tuple[str, ...]]]]]:
        """Places the question names: as key tuples, and by position with their words' count
        and, for a spelling of one of our events' places, that place as our events write it."""
        named: list[tuple[str, ...]] = []
        found: dict[int, tuple[int, set[tuple[str, ...]]]] = {}
        index = 0
        lookup = self._gazetteer.lookup
        while index < len(keys):
            for size in range(min(self._gazetteer.max_words, len(keys) - index), 0, -1):
                candidate = tuple(keys[index : index + size])
                place_ids = lookup(candidate, " ".join(content[index : index + size]))
                if place_ids and not is_number(candidate[0]):
                    mine = {
                        ours
                        for place_id in place_ids
                        for ours in self._index.places.get(place_id, ())
                    }
                    named += mine or [candidate]
                    found[index] = (size, mine)
                    index += size
                    break
            else:
                index += 1
        return named, found

    def _unit(self, matches: list[tuple[str, float]]) -> Unit:
        postings = self._index.postings
        return Unit(matches, any(term in postings for term, _ in matches))

    def _word_unit(self, key: str, typos: int) -> Unit:
        index = self._index
        # A domain word in a question means the domain word, even where a town is spelt like
        # it ("death toll" is not about Toll).
        terms = LEXICON.get(key, (key,))
        held = [term for term in terms if term in index.postings]
        if held:
            unit = self._unit([(term, 1.0) for term in held])
            if typos and terms == (key,):
                unit.key = key
            return unit
        if key in LEXICON:
            return Unit([], False, concept=True)
        if is_number(key) or typos == 0:
            return Unit([], False)
        matches: dict[str, float] = {}
        closest, others = index.fuzzy.near(key, typos)
        for near, distance in closest[:MAX_FUZZY]:
            for term in LEXICON.get(near, (near,)):
                if term in index.postings:
                    matches[term] = max(matches.get(term, 0.0), FUZZY_SIMILARITY[distance])
        unit = self._unit(list(matches.items()))
        named = {e for term in matches for e in named_by(index, term)}
        unit.doubtful = any(not named_by(index, near) <= named for near in others[:MAX_FUZZY])
        return unit


def near_another_name(index: Index, unit: Unit, event_id: int) -> bool:
    """Whether a word whose key names this event is one edit from another event's name: folding
    makes "Syetova", meant for Setovka, the very key of Syetov (a spelling of Sietow), so the
    key alone is no sure sign of the name. Asked only of the leading events' names that the
    question does not spell verbatim: a lookup costs about as much as matching a question."""
    if not unit.key or max_edits(len(unit.key) + 2) == 0:
        return False
    return any(
        not named_by(index, near) <= {event_id}
        for near in index.fuzzy.within(unit.key, 1)[:MAX_FUZZY]
    )


def named_by(index: Index, term: str) -> set[int]:
    """The events whose names hold this term."""
    posting = index.postings.get(term, {})
    return {event_id for event_id, weight in posting.items() if weight >= NAME_LEVEL}
