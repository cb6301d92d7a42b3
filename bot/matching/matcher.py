"""Which event a question is about: the evidence for each candidate event, then the decision.

1. A question is reduced to terms the way event texts are (`question`): phonetic word keys
   and concept terms; a word that matches no indexed key, is no common word and no known other
   place is looked up within a few edits (`typos`). Places it names are read with the
   gazetteer, dates and relative dates with `dates`.
2. Rare terms pick candidate events (`ranking`); for each, the evidence is measured piece by
   piece (`decision.FEATURES`): a term contributes `similarity × weight × share`, where share is
   the part of the term's total weight held by that event (a term all events share says little);
   what the event cannot explain in the question (words it lacks, another place, another
   date) counts against it whether or not the question also names it.
3. `decision.decide` turns the evidence into answer / offer / no match with a model trained on
   the development questions.
"""

import copy
import gc
import logging
import math
import pickle
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from bot.matching import ranking
from bot.matching.decision import MatchResult, Model, Scored, decide, load_model
from bot.matching.documents import EventDocument
from bot.matching.gazetteer import gazetteer
from bot.matching.index import (
    CLAIM,
    KEYWORD,
    NAME,
    NAME_LEVEL,
    NAME_PART,
    REFERENCE,
    SUMMARY,
    Index,
    IndexedEvent,
    Totals,
)
from bot.matching.question import (
    FUZZY_SIMILARITY,
    Query,
    QuestionReader,
    Unit,
    near_another_name,
)
from bot.matching.terms import cached_units, is_concept, plain
from bot.matching.text import common_words, is_number
from bot.matching.typos import max_edits
from db.vocabulary import AliasKind

log = logging.getLogger(__name__)

# A question term in an event's name, title or keywords that holds at least this share of the
# term's weight over all events (twice as much as all others together) names that event.
ANCHOR_SHARE = 2 / 3
ANCHOR_KEY_MIN = 4
# ... or several such words, from any field, whose evidence adds up to this (a name is 1.0).
ANCHOR_EVIDENCE = 1.0
# Specific question words are held by at most this many events, or this share of them.
SPECIFIC_MIN_EVENTS = 2
SPECIFIC_SHARE = 0.2
# Leading events whose names and title are checked for a full match with the question.
NAME_CHECKS = 4
# Saturation of the evidence: R maps to 1 − e^(−R/τ); one exact place name ≈ 0.85.
TAU = 0.8
# Candidates whose evidence is described to the decision, best first.
DESCRIBED = 5
# Unexplained words counted up to this many: beyond it a long message is just long.
UNEXPLAINED_CAP = 3
FOREIGN_CAP = 2
# Words no event holds counted up to this many: one may be a typo, two are another subject.
UNKNOWN_CAP = 2
# Words only this event holds counted up to this many: two (a claimant and a figure) identify it.
UNIQUE_CAP = 2
# Evidence from claim words only one event holds that identifies it as well as a name: one
# claimant or figure spelt right.
IDENTIFYING_CLAIMS = 0.9
# Question length counted up to this many words: a long message explains itself less.
LENGTH_CAP = 12
# The relation by which a question about the "retaliation" for one event means another.
RETALIATION = "presented_as_retaliation_for"


@dataclass(slots=True)
class _Evidence:
    event: IndexedEvent
    evidence: float = 0.0
    claims: float = 0.0
    named: bool = False
    explained: float = 0.0
    missing: float = 0.0
    date_fit: float = 0.0
    date_conflict: bool = False
    date_unknown: bool = False
    foreign_place: bool = False
    related: bool = False
    cause: bool = False  # the question names it as the cause of the related event it asks for
    verbatim: bool = False
    place_named: bool = False  # a name of the event's place or of the event, not only words
    # Share of the question's words that are domain words (concepts) this event lacks:
    # "railway station", "flood", "weather" say what else the question is about.
    foreign_concepts: float = 0.0
    unexplained_words: int = 0  # question words this event does not hold
    # Question words no other event holds (a claimant, a figure, a quote of this event only),
    # and words its claims hold that other events' texts hold too.
    unique_words: int = 0
    shared_claims: int = 0
    unique_at: set[int] = field(default_factory=set)  # positions of those unique words
    name_hit: bool = False  # a question word is (a misspelling of) a word of its names
    sure_name: bool = False  # ... spelt right, or misspelt but nearer no other event's name
    # Positions of question words whose key is a word of its names.
    name_keys: list[int] = field(default_factory=list)
    # Every question word it does not hold is one that many events hold ("strike", "killed").
    rest_unspecific: bool = False
    # Evidence from each word of the question, by position.
    by_word: list[float] = field(default_factory=list)
    # Positions of the question's words it explains about as well as any candidate does: a
    # mention of Makiivka in the Kramatorsk strike's text does not explain "Makiivka".
    held: frozenset[int] = frozenset()


def _anchors(term: str, weight: float, similarity: float) -> bool:
    """Whether one question term, held mostly by one event, names that event."""
    if weight < KEYWORD / 100:
        return False
    if is_concept(term) or is_number(term):
        # A domain word or figure of the event's names, title or keywords, spelt right.
        return similarity == 1.0
    if weight == NAME / 100:
        return similarity >= FUZZY_SIMILARITY[2]  # a whole name, perhaps misspelt
    if weight == NAME_PART / 100:
        # One word of a longer name ("Koil" of "Sankaranainer Koil") is not the name: all of
        # it is needed (_names_event).
        return False
    # A word of the title or a keyword names it only spelt right and not short.
    return similarity == 1.0 and len(term) >= ANCHOR_KEY_MIN


class Matcher:
    def __init__(self, model: Model | None = None) -> None:
        self._model = model or load_model()
        self._gazetteer = gazetteer()
        self._common = common_words()
        self._index = Index(self._gazetteer)

    def __len__(self) -> int:
        return len(self._index.events)

    # -- building ---------------------------------------------------------------------------

    def rebuild(self, documents: Iterable[EventDocument]) -> list[str]:
        """Index these events instead of the current ones. The new index is built beside the
        old one, which answers until the new one is complete. An event whose document cannot
        be indexed is left out and logged; returns the slugs left out."""
        index = Index(self._gazetteer)
        failed: list[str] = []
        # The index is millions of small objects without cycles: the cyclic collector's passes
        # over them while they are being made would cost as much as making them.
        collecting = gc.isenabled()
        gc.disable()
        try:
            with index.filling():
                for document in documents:
                    if not _indexed(index, document):
                        failed.append(document.slug)
            index.total_up()
        finally:
            if collecting:
                gc.enable()
        self._index = index
        # A full collection would walk the whole index and stall a match for a second at a
        # million aliases: the index outlives everything, so the collector leaves it alone.
        gc.freeze()
        return failed

    def save_index(self, file: IO[bytes]) -> None:
        """Write the index for `load_index` (without the gazetteer, which the matcher holds).
        Not while the index changes: write it before it answers."""
        index = copy.copy(self._index)
        index.gazetteer = None  # type: ignore[assignment]
        pickle.dump(index, file, protocol=pickle.HIGHEST_PROTOCOL)

    def load_index(self, file: IO[bytes]) -> None:
        """Answer from an index `save_index` wrote with this code (the caller makes sure)."""
        collecting = gc.isenabled()
        gc.disable()  # as in `rebuild`: millions of objects without cycles
        try:
            index: Index = pickle.load(file)
        finally:
            if collecting:
                gc.enable()
        index.gazetteer = self._gazetteer
        self._index = index
        gc.freeze()

    def upsert(self, document: EventDocument) -> bool:
        """Index one event (again); false, with the error logged, if it cannot be."""
        return _indexed(self._index, document)

    def remove(self, slug: str) -> None:
        self._index.remove(slug)

    # -- matching ---------------------------------------------------------------------------

    def match(self, question: str) -> MatchResult:
        return decide(self.evidence(question), self._model)

    def evidence(self, question: str) -> list[Scored]:
        """The leading candidate events with the evidence about each (the model's input)."""
        query = self._analyse(question)
        found = self._measure(query)
        return [self._scored(item, found, query) for item in found]

    def _scored(self, item: _Evidence, found: list[_Evidence], query: Query) -> Scored:
        others = max((o.evidence for o in found if o is not item), default=0.0)
        # Another event the question names that explains words this one cannot: the question
        # is about both, or about the other.
        rival = any(
            (o.named or o.claims >= IDENTIFYING_CLAIMS)
            and not o.date_conflict
            and not o.held <= item.held
            for o in found
            if o is not item
        )
        # Words that belong to one other event only: a claimant, a figure or a quote of that
        # event, which this one cannot explain.
        foreign_unique = {
            position
            for other in found
            if other is not item
            for position in other.unique_at
            if not item.by_word[position]
        }
        # A figure the question gives that this event's texts lack and other events' hold.
        foreign_figure = any(
            not item.by_word[position]
            and any(is_number(term) for term, _ in unit.matches)
            and any(other.by_word[position] for other in found if other is not item)
            for position, unit in enumerate(query.units)
        )
        document = item.event.document
        return Scored(
            document.slug,
            document.title,
            (
                _saturated(item.evidence),
                float(item.named),
                1 - item.explained,
                float(item.named) * (1 - item.explained),
                query.unknown_share,
                item.missing,
                _saturated(item.claims),
                item.date_fit,
                float(item.date_conflict),
                float(item.date_unknown),
                float(item.foreign_place),
                float(item.related),
                _saturated(item.evidence) - _saturated(others),
                float(item.named) * (_saturated(item.evidence) - _saturated(others)),
                float(item.verbatim),
                float(item.event.has_place and not (item.place_named or item.verbatim)),
                item.foreign_concepts,
                min(item.unexplained_words, UNEXPLAINED_CAP) / UNEXPLAINED_CAP,
                float(rival),
                min(len(query.units), LENGTH_CAP) / LENGTH_CAP,
                min(query.unknown, UNKNOWN_CAP) / UNKNOWN_CAP,
                min(item.unique_words, UNIQUE_CAP) / UNIQUE_CAP,
                item.unique_words / len(query.units) if query.units else 0.0,
                min(item.shared_claims, UNIQUE_CAP) / UNIQUE_CAP,
                min(len(foreign_unique), UNIQUE_CAP) / UNIQUE_CAP,
            ),
            _vetoed(item),
            item.name_hit and item.rest_unspecific,
            item.name_hit and not item.sure_name,
            not item.related
            and (
                bool(foreign_unique)
                or foreign_figure
                or any(o.place_named and not _vetoed(o) for o in found if o is not item)
            ),
            item.cause,
        )

    def _analyse(self, question: str) -> Query:
        return QuestionReader(self._gazetteer, self._common, self._index).read(question)

    def _weight(self, term: str, event_id: int) -> tuple[float, float, int]:
        """(effective weight 0..1, share of the term's weight, field weight) of a term in one
        event."""
        field = self._index.postings[term].get(event_id)
        if field is None:
            return 0.0, 0.0, 0
        return *_weighed(field, *self._total(term)), field

    def _total(self, term: str) -> tuple[int, bool]:
        """The term's weight over all events, and whether it names some event."""
        index = self._index
        totals = index.totals.get(term)
        if totals is None:
            totals = index.totals[term] = Totals.of(index.postings[term].values())
        # A place that names some event is only a reference in the others' texts.
        if totals.name_count and not is_concept(term):
            return totals.name_total + REFERENCE * totals.other_count, True
        return totals.name_total + totals.other_total, False

    def _measure(self, query: Query) -> list[_Evidence]:
        index = self._index
        matched = {
            term
            for unit in query.units
            for term, similarity in unit.matches
            if similarity >= FUZZY_SIMILARITY[2]
        }
        specific_at = [self._specific(unit) for unit in query.units]
        specific = sum(specific_at)
        postings = index.postings
        candidates = ranking.candidates(index, query)
        strengths = self._strengths(query, candidates)

        def rank(position: int) -> float:
            evidence = 0.0
            for best in strengths[position]:  # one by one, as `item.evidence` adds them up
                evidence += best
            missing = sum(
                unit_specific
                for best, unit_specific in zip(strengths[position], specific_at, strict=True)
                if not best > 0
            )
            return evidence * (1 - (missing / specific if specific else 0.0) / 2)

        # The leading events follow from each word's evidence alone: the rest of the evidence
        # is worked out for them only (for all when the question may ask for the event linked
        # to one of them, `_related`), not for all the candidates.
        ranked = sorted(range(len(candidates)), key=rank, reverse=True)
        if not _asks_retaliation(query):
            del ranked[DESCRIBED:]
        found: list[_Evidence] = []
        for event in (candidates[position] for position in ranked):
            item = _Evidence(event, rest_unspecific=True)
            own = 0.0  # evidence from words held mostly by this event
            held = 0
            lacking = 0
            missing = 0  # specific words it does not hold
            for unit, unit_specific in zip(query.units, specific_at, strict=True):
                best = claims = distinctive = 0.0
                unique = shared = False
                for term, similarity in unit.matches:
                    if event.id not in postings[term]:
                        continue  # most candidates lack most terms: no evidence either way
                    weight, share, field = self._weight(term, event.id)
                    best = max(best, similarity * weight * share)
                    if weight and similarity >= FUZZY_SIMILARITY[1]:
                        alone = len(index.postings[term]) == 1
                        # A figure, a name, a claimant's name: not an everyday word that one
                        # event's articles happen to use alone.
                        unique |= alone and (
                            is_number(term)
                            or (not is_concept(term) and (field >= NAME_LEVEL or not unit.common))
                        )
                        shared |= not alone and (field <= CLAIM or field == SUMMARY)
                    if share >= ANCHOR_SHARE:
                        distinctive = max(distinctive, similarity * weight * share)
                        if field <= CLAIM or field == SUMMARY:
                            claims = max(claims, similarity * share)
                        if _anchors(term, weight, similarity):
                            item.named = True
                            if field >= NAME_LEVEL and not is_concept(term):
                                item.place_named = True
                        if field >= NAME_LEVEL and not is_concept(term):
                            item.name_hit = True
                            if similarity == 1.0:
                                item.name_keys.append(len(item.by_word))
                            else:
                                item.sure_name |= not unit.doubtful
                item.by_word.append(best)
                if unique:
                    item.unique_at.add(len(item.by_word) - 1)
                item.unique_words += unique
                item.shared_claims += shared and not unique
                if best > 0:
                    held += 1
                else:
                    missing += unit_specific
                    if unit_specific or not unit.known:
                        item.rest_unspecific = False
                if not best and (unit.concept or _all_concepts(unit)):
                    lacking += 1
                item.evidence += best
                item.claims += claims
                own += distinctive
            # Several words found mostly in this event's own texts single it out together.
            if own >= ANCHOR_EVIDENCE:
                item.named = True
            item.unexplained_words = len(query.units) - held
            if query.units:
                item.explained = held / len(query.units)
                item.foreign_concepts = min(lacking, FOREIGN_CAP) / FOREIGN_CAP
            item.foreign_place = any(
                any(event.id not in index.postings.get(key, {}) for key in place)
                for place in query.places
            )
            item.missing = missing / specific if specific else 0.0
            found.append(item)
        strongest = [max(column, default=0.0) for column in zip(*strengths, strict=True)]
        for item in found:
            item.held = frozenset(
                position
                for position, (own, top) in enumerate(zip(item.by_word, strongest, strict=True))
                if own > 0 and own >= top / 2
            )
        for item in found[:NAME_CHECKS]:
            if not item.named:
                item.named = self._names_event(item.event, matched)
            # Folding makes Wommels and Womeels one key; the spelling the user typed decides.
            item.verbatim = self._verbatim(item.event, query.text)
            if self._spaced_name(item.event, query.text, matched):
                item.named = item.place_named = True
            item.sure_name |= item.verbatim or any(
                not near_another_name(self._index, query.units[position], item.event.id)
                for position in item.name_keys
            )
        for item in found[NAME_CHECKS:]:
            item.sure_name |= bool(item.name_keys)
        leading = found[:DESCRIBED]
        self._related(query, leading, found)
        for item in leading:
            self._dates(item, query, leading)
        return leading

    def _strengths(self, query: Query, events: list[IndexedEvent]) -> list[list[float]]:
        """Each event's evidence from each word of the question, as `_measure` works it out:
        similarity × weight × share of the strongest term of the word it holds, or 0."""
        postings = self._index.postings
        position_of = {event.id: position for position, event in enumerate(events)}
        strengths = [[0.0] * len(query.units) for _ in events]
        for word, unit in enumerate(query.units):
            for term, similarity in unit.matches:
                posting = postings[term]
                # From the smaller side (a set intersection does that): most terms of a
                # misspelt or rare word are held by a few events, the words every event holds
                # by all the candidates.
                held = position_of.keys() & posting.keys()
                if held:
                    total = self._total(term)
                for event_id in held:
                    weight, share = _weighed(posting[event_id], *total)
                    row = strengths[position_of[event_id]]
                    row[word] = max(row[word], similarity * weight * share)
        return strengths

    def _related(self, query: Query, leading: list[_Evidence], found: list[_Evidence]) -> None:
        """A question about the retaliation for an event it names is about the event
        presented as that retaliation: its evidence is the named event's."""
        if not _asks_retaliation(query):
            return
        named = {item.event.document.slug: item for item in found if item.named}
        for item in found:
            for slug, relation in item.event.document.related:
                cause = named.get(slug)
                if relation == RETALIATION and cause is not None and cause is not item:
                    item.related = True
                    cause.cause = True
                    item.evidence = max(item.evidence, cause.evidence)
                    if item not in leading:
                        leading.insert(0, item)
                        del leading[DESCRIBED:]

    def _dates(self, item: _Evidence, query: Query, leading: list[_Evidence]) -> None:
        window = item.event.window
        if query.dates:
            known = [m for m in query.dates if window is not None and window.knows(m)]
            item.date_unknown = len(known) < len(query.dates)
            if window is not None:
                fitting = [m for m in known if window.admits(m)]
                if any(m.day is not None for m in fitting) and not window.approximate:
                    item.date_fit = 1.0
                elif fitting:
                    item.date_fit = 0.5
                # Every date must fit, unless it fits another event the question names: a
                # date in one clause is no veto for the event another clause names.
                item.date_conflict = any(
                    not window.admits(m)
                    and not any(
                        other is not item
                        and other.named
                        and other.event.window is not None
                        and other.event.window.knows(m)
                        and other.event.window.admits(m)
                        for other in leading
                    )
                    for m in known
                )
        relative_fit = window is not None and any(window.admits(m) for m in query.relative)
        if relative_fit and window is not None and not window.approximate and not item.date_fit:
            item.date_fit = 0.5

    def _specific(self, unit: Unit) -> bool:
        """Whether a question word points at few events (a name, a figure, a rare word)."""
        postings = self._index.postings
        limit = max(SPECIFIC_MIN_EVENTS, SPECIFIC_SHARE * len(self._index.events))
        return any(term in postings and len(postings[term]) <= limit for term, _ in unit.matches)

    @staticmethod
    def _verbatim(event: IndexedEvent, text: str) -> bool:
        """Whether the question contains the place or a name alias exactly as written."""
        if event.plain_names is None:
            document = event.document
            names = (
                document.place,
                *(a.text for a in document.aliases if a.kind != AliasKind.KEYWORD),
            )
            event.plain_names = tuple(f" {plain(name)} " for name in names)
        return any(name in text for name in event.plain_names)

    @staticmethod
    def _spaced_name(event: IndexedEvent, text: str, matched: set[str]) -> bool:
        """Whether the question gives a name of several words with a space moved, dropped or
        added ("Noho rTehsyls" for Nohor Tehsyls, "SantayRosa" for Santa Rosa), perhaps with
        a typo too: read word by word it names nothing, or a shorter name that the longer one
        contains ("Santa Bárbara" in "Santa Rosa (Santa Bárbara)")."""
        assert event.plain_names is not None  # made by `_verbatim`
        length = len(text) - text.count(" ")
        for padded in event.plain_names:
            name = padded.strip()
            squeezed = name.replace(" ", "")
            if name == squeezed or len(squeezed) > length:
                continue
            units = cached_units(name)
            if all(not matched.isdisjoint(unit) for unit in units):
                continue  # its words are all there: the name is read as it is
            if _within_edits(squeezed, text, max_edits(len(squeezed))):
                return True
        return False

    def _names_event(self, event: IndexedEvent, matched: set[str]) -> bool:
        """Whether the question contains every word of one of the event's names or its title."""
        document = event.document
        for text in (document.title, *(alias.text for alias in document.aliases)):
            units = cached_units(text)
            if units and all(not matched.isdisjoint(unit) for unit in units):
                return True
        return False


def _vetoed(item: _Evidence) -> bool:
    """A date the question names that fits neither this event nor another it names rules the
    event out; another place does unless the question names this event too."""
    return item.date_conflict or (item.foreign_place and not item.named and not item.related)


def _within_edits(name: str, text: str, edits: int) -> bool:
    """Whether whole words of `text` (spaces removed) are within `edits` edits of `name`
    (spaces removed; optimal string alignment): rapidfuzz finds the best stretch of the name's
    length, the stretches around it from a word's start to a word's end are measured exactly."""
    joined = text.replace(" ", "")
    found = fuzz.partial_ratio_alignment(
        name, joined, score_cutoff=100 * (1 - 2 * edits / len(name))
    )
    if found is None:
        return False
    starts, ends, position = [], set(), 0
    for word in text.split():
        starts.append(position)
        position += len(word)
        ends.add(position)
    return any(
        OSA.distance(name, joined[start:end], score_cutoff=edits) <= edits
        for start in starts
        if abs(start - found.dest_start) <= edits
        for end in range(start + len(name) - edits, start + len(name) + edits + 1)
        if end in ends
    )


def _weighed(field: int, total: int, referenced: bool) -> tuple[float, float]:
    """(effective weight 0..1, share of the term's weight) of a term in an event's `field`,
    `total` and `referenced` being `Matcher._total` of the term."""
    weight = REFERENCE if referenced and field < NAME_LEVEL else field
    return weight / 100, weight / total


def _asks_retaliation(query: Query) -> bool:
    return any(term == "#retaliation" for unit in query.units for term, _ in unit.matches)


def _all_concepts(unit: Unit) -> bool:
    return bool(unit.matches) and all(is_concept(term) for term, _ in unit.matches)


def _saturated(evidence: float) -> float:
    return 1 - math.exp(-evidence / TAU)


def _indexed(index: Index, document: EventDocument) -> bool:
    try:
        index.upsert(document)
    except Exception:
        # Moderators' text must never take the matcher down: the event is left out and the
        # error logged with its slug; the caller reports the slugs left out.
        log.exception(
            "event %s left out of the match index: its text cannot be indexed", document.slug
        )
        return False
    return True
