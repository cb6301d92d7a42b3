"""The index: every event's terms with the weight of the field they come from.

Each event holds every term with the weight of the strongest field it appears in (place and
name aliases > title and keywords > summary > region and claims). Postings map a term to the
events holding it; `upsert` and `remove` touch one event's postings without a rebuild.
"""

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.matching.dates import DateWindow, find_dates, window_from_mentions, window_of_months
from bot.matching.documents import EventDocument, PlainDocument, document_from_plain, plain_document
from bot.matching.gazetteer import Gazetteer
from bot.matching.lexicon import LEXICON
from bot.matching.terms import cached_units, is_concept, many_units, place_parts, units
from bot.matching.text import clean, is_number
from bot.matching.typos import FuzzyIndex
from db.vocabulary import AliasKind

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# Field weights, in percent. Ints, not floats: posting maps hold millions of them and small
# ints are shared objects in CPython.
NAME = 100  # a one-word place or name alias: the word alone names the event
NAME_PART = 95  # a word of a place or name alias of several words
NAME_LEVEL = NAME_PART  # from here on a term is (part of) a name of the event
KEYWORD = 80  # keyword aliases and the title
SUMMARY = 50
CLAIM = 40  # claimant names, claim summaries and quotes
REGION = 40  # region, country, and a place that is a whole country
REFERENCE = 25  # another event's place name mentioned in this event's text
# Terms held by more events than this do not pick candidates, they only rescore them.
CANDIDATE_DF = 1000
# Terms held by at least this many events (and at most CANDIDATE_DF) keep their events and
# weights as arrays too (`Index.arrays`): ranking candidates reads those few contiguous arrays
# instead of a dict of up to a thousand entries scattered over the heap. At a million aliases
# 673 terms, 145,000 events in all (under 2 MB).
ARRAYED_DF = 64


# A date window as plain data: start, end, approximate, months.
PlainWindow = tuple[dt.date, dt.date, bool, tuple[int, ...]] | None


class IndexedEvent:
    """One event in the index.

    Pickled (the index snapshot), its document and date window are plain tuples, made into
    objects again when first used: a start then loads 100,000 events in C instead of calling
    Python for each document, alias and window, which took most of the snapshot's reading."""

    __slots__ = ("_document", "_plain", "_window", "has_place", "id", "plain_names")

    def __init__(
        self, id: int, document: EventDocument, window: DateWindow | None, has_place: bool
    ) -> None:
        self.id = id
        self.has_place = has_place  # a town or region, not a country or nowhere
        # The place and names as the verbatim check compares them, worked out on the first
        # check: cleaning them on every check was a quarter of the time a question took.
        self.plain_names: tuple[str, ...] | None = None
        self._document: EventDocument | None = document
        self._window = window
        self._plain: tuple[PlainDocument, PlainWindow] | None = None

    @property
    def document(self) -> EventDocument:
        if self._document is None:
            self._restore()
        assert self._document is not None
        return self._document

    @property
    def window(self) -> DateWindow | None:
        if self._document is None:
            self._restore()
        return self._window

    def _restore(self) -> None:
        assert self._plain is not None
        document, window = self._plain
        self._document = document_from_plain(document)
        self._window = None if window is None else DateWindow(*window[:3], frozenset(window[3]))
        self._plain = None

    def __getstate__(self) -> tuple[None, dict[str, object]]:
        # Slots only, and no __setstate__: pickle sets them itself, without a Python call.
        window = self.window
        plain = (
            None
            if window is None
            else (window.start, window.end, window.approximate, tuple(window.months))
        )
        return None, {
            "id": self.id,
            "has_place": self.has_place,
            "plain_names": self.plain_names,
            "_document": None,
            "_window": None,
            "_plain": (plain_document(self.document), plain),
        }


@dataclass(slots=True)
class Totals:
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
    def of(cls, weights: Iterable[int]) -> "Totals":
        totals = cls()
        for weight in weights:
            totals.add(weight, 1)
        return totals


def event_window(document: EventDocument) -> DateWindow | None:
    """The event's own dates, or an approximate window from the dates its texts give."""
    if document.start_date is not None:
        return DateWindow(document.start_date, document.end_date or document.start_date)
    text = f"{document.summary} ; {document.date_note or ''}"
    window = window_from_mentions(find_dates(clean(text))[0])
    # Notes quote the articles' other months ("back in October"); the summary says when.
    return window or window_of_months(find_dates(clean(document.summary))[0])


@dataclass(slots=True)
class Index:
    gazetteer: Gazetteer
    events: dict[str, IndexedEvent] = field(default_factory=dict)
    by_id: dict[int, IndexedEvent] = field(default_factory=dict)
    postings: dict[str, dict[int, int]] = field(default_factory=dict)  # term → event → weight
    # Weight totals per term, kept current once computed: computed at the end of a rebuild
    # for terms in many events (summing those at match time would be slow), on first use for
    # the rest (most terms are never asked about, and a total per term would cost memory).
    totals: dict[str, Totals] = field(default_factory=dict)
    # A term's events and their weights, in its posting's order, for terms held by ARRAYED_DF
    # events or more: made at the end of a rebuild or on first use, dropped when the posting
    # changes.
    arrays: dict[str, tuple["NDArray[np.int32]", "NDArray[np.float64]"]] = field(
        default_factory=dict
    )
    fuzzy: FuzzyIndex = field(default_factory=FuzzyIndex)
    # Gazetteer id of an event's place → the keys of that place as the event writes it, with
    # how many events do: another spelling of the same town in a question resolves to them.
    places: dict[int, dict[tuple[str, ...], int]] = field(default_factory=dict)
    next_id: int = 0
    # Words new to the typo index while `filling`, added to it at the end all at once.
    waiting: list[str] | None = None

    def __post_init__(self) -> None:
        self.fuzzy.extend(LEXICON)

    @contextlib.contextmanager
    def filling(self) -> Iterator[None]:
        """Upserts within it add their new words to the typo index at its end, all at once
        (`FuzzyIndex.extend`): for a rebuild, whose index answers nothing before."""
        self.waiting = []
        try:
            yield
        finally:
            waiting, self.waiting = self.waiting, None
            self.fuzzy.extend(waiting)

    def total_up(self) -> None:
        for term, posting in self.postings.items():
            if len(posting) > CANDIDATE_DF:
                self.totals[term] = Totals.of(posting.values())
            elif len(posting) >= ARRAYED_DF:
                self.posting_arrays(term)

    def posting_arrays(self, term: str) -> tuple["NDArray[np.int32]", "NDArray[np.float64]"]:
        """The events holding a term and their weights, in its posting's order."""
        found = self.arrays.get(term)
        if found is None:
            import numpy as np  # only large indexes need it (`bot.matching.ranking`)

            posting = self.postings[term]
            found = (
                np.fromiter(posting, np.int32, len(posting)),
                np.fromiter(posting.values(), np.float64, len(posting)),
            )
            if len(posting) >= ARRAYED_DF:
                self.arrays[term] = found
        return found

    def upsert(self, document: EventDocument) -> None:
        """Add or replace one event. Its terms are worked out before anything is changed, so
        a document that cannot be read leaves the index as it was."""
        weights, places = self.terms(document)
        window = event_window(document)
        if document.slug in self.events:
            self.remove(document.slug)
        event = IndexedEvent(self.next_id, document, window, bool(places))
        self.next_id += 1
        self.events[document.slug] = event
        self.by_id[event.id] = event
        for keys in places:
            for place_id in self.gazetteer.places.get(keys, ()):
                counts = self.places.setdefault(place_id, {})
                counts[keys] = counts.get(keys, 0) + 1
        postings, totals, fuzzy, waiting = self.postings, self.totals, self.fuzzy, self.waiting
        arrays = self.arrays
        for term, weight in weights.items():
            posting = postings.get(term)
            if posting is None:
                postings[term] = {event.id: weight}
                # Only a term new to the postings can be new to the typo index (whose keys
                # stay when their events go): most of an event's terms are not looked up.
                if not is_concept(term) and not is_number(term):
                    if waiting is None:
                        fuzzy.add(term)
                    else:
                        waiting.append(term)
            else:
                posting[event.id] = weight
                if term in totals:
                    totals[term].add(weight, 1)
                if term in arrays:
                    del arrays[term]

    def remove(self, slug: str) -> None:
        event = self.events.pop(slug, None)
        if event is None:
            return
        del self.by_id[event.id]
        weights, places = self.terms(event.document)
        for keys in places:
            for place_id in self.gazetteer.places.get(keys, ()):
                counts = self.places[place_id]
                counts[keys] -= 1
                if not counts[keys]:
                    del counts[keys]
                if not counts:
                    del self.places[place_id]
        for term, weight in weights.items():
            posting = self.postings[term]
            del posting[event.id]
            self.arrays.pop(term, None)
            if term in self.totals:
                self.totals[term].add(weight, -1)
            if not posting:
                del self.postings[term]
                self.totals.pop(term, None)
        # Fuzzy keys of removed words stay: a near key without postings is passed over, and
        # a key index that only grows keeps removal to the event's own terms.

    def terms(self, document: EventDocument) -> tuple[dict[str, int], list[tuple[str, ...]]]:
        """Every term of an event with the weight of the strongest field it appears in, and
        the keys of each name of its place."""
        fields: list[tuple[list[tuple[str, ...]], int]] = []
        places: list[tuple[str, ...]] = []
        for part in place_parts(document.place):
            part_units = units(part, concepts=False)
            # "Russia" as the place of a statement is no name: every event mentions it.
            if self.gazetteer.is_country(part):
                fields.append((part_units, REGION))
            else:
                places.append(tuple(key for (key,) in part_units))
                fields.append((part_units, NAME if len(part_units) == 1 else NAME_PART))
        keywords = [document.title]
        names: list[str] = []
        for alias in document.aliases:
            (keywords if alias.kind == AliasKind.KEYWORD else names).append(alias.text)
        # Region, country and claimants repeat from event to event.
        *name_units, keyword_units, summary_units, claim_units = many_units(
            [*names, " ; ".join(keywords), document.summary, " ; ".join(document.claim_terms)]
        )
        for found in name_units:
            fields.append((found, NAME if len(found) == 1 else NAME_PART))
        fields.append((keyword_units, KEYWORD))
        fields.append((summary_units, SUMMARY))
        fields.append((cached_units(f"{document.region or ''} ; {document.country or ''}"), REGION))
        fields.append((claim_units, CLAIM))
        weights: dict[str, int] = {}
        # Strongest field first: a term keeps the weight it is first seen with.
        fields.sort(key=lambda item: -item[1])
        for found_units, weight in fields:
            for unit in found_units:
                for term in unit:
                    weights.setdefault(term, weight)
        return weights, places
