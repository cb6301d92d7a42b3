"""The card cache: event cards and their rendered pages, kept in memory until data changes.

Most answers then need neither a query nor rendering. A card is kept per language it was
asked in (its words and, where translated, its title and summary differ). It is bounded
(least recently used cards go first) and drops only the cards of the events a change touched,
in every language: at once for changes made in this process (`bot/answering.py`), and when
the index keeper sees changes made in another (`bot/freshness.py`).
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from bot.card import render_card
from bot.i18n import LANGUAGES, Language, translator
from db.queries import EventCard
from db.vocabulary import Metric

# How a card is loaded: (slug, language) -> the card, its title and summary in that language
# where they are translated; None for no such event.
CardLoader = Callable[[str, Language], EventCard | None]


@dataclass(frozen=True)
class CachedCard:
    card: EventCard
    language: Language
    pages: tuple[str, ...]  # Telegram HTML, as `render_card` makes them
    # The pages for a question about another measure than killed, made when first asked.
    by_focus: dict[Metric, tuple[str, ...]] = field(default_factory=dict)

    def focused(self, focus: Metric | None) -> tuple[str, ...]:
        if focus is None:
            return self.pages
        pages = self.by_focus.get(focus)
        if pages is None:
            # Rendered again: only page 1's answer lines differ (page breaks do not).
            tr = translator(self.language)
            pages = self.by_focus[focus] = tuple(render_card(self.card, focus, tr))
        return pages


class CardCache:
    """Up to `size` cards with their pages; safe to use from several threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._cards: OrderedDict[tuple[str, Language], CachedCard] = OrderedDict()
        self._generation = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._cards)

    def forget(self, slugs: Collection[str] | None) -> None:
        """Drop these events' cards (None: all of them)."""
        if slugs is not None and not slugs:
            return
        with self._lock:
            self._generation += 1
            if slugs is None:
                self._cards.clear()
                return
            for slug in slugs:
                for language in LANGUAGES:
                    self._cards.pop((slug, language), None)

    def reload(self, slugs: Collection[str], load: CardLoader) -> None:
        """Load again the kept cards of these events (changed in another process) and swap
        them in: until then answers show them as they were, instead of each first answer
        about an edited event waiting for its card to be loaded."""
        with self._lock:
            generation = self._generation
            kept = [(slug, language) for slug in slugs for language in LANGUAGES]
            kept = [key for key in kept if key in self._cards]
        loaded = {key: self._render(load(*key), key[1]) for key in kept}
        with self._lock:
            # Cards loaded since `forget` ran meanwhile may predate that change: dropped.
            fresh = generation == self._generation
            self._generation += 1  # loads begun before this change may not have it
            for key, cached in loaded.items():
                if cached is None or not fresh:  # gone (hidden), or maybe stale
                    self._cards.pop(key, None)
                elif key in self._cards:  # replaced in its place in the queue
                    self._cards[key] = cached

    @staticmethod
    def _render(card: EventCard | None, language: Language) -> CachedCard | None:
        if card is None:
            return None
        return CachedCard(card, language, tuple(render_card(card, None, translator(language))))

    def get(self, slug: str, language: Language) -> CachedCard | None:
        """The card if it is in memory; no query."""
        key = (slug, language)
        with self._lock:
            cached = self._cards.get(key)
            if cached is not None:
                self._cards.move_to_end(key)
            return cached

    def load(self, slug: str, language: Language, load: CardLoader) -> CachedCard | None:
        """The card from memory, or from `load` (then rendered and kept)."""
        cached = self.get(slug, language)
        if cached is not None:
            return cached
        with self._lock:
            generation = self._generation
        loaded = self._render(load(slug, language), language)
        if loaded is None:
            # Unknown slugs are not kept: users type them, and they would crowd out cards.
            return None
        with self._lock:
            # A change committed while this card was loading may not be in it: keep it only
            # if nothing was forgotten meanwhile.
            if generation == self._generation:
                key = (slug, language)
                self._cards[key] = loaded
                self._cards.move_to_end(key)
                while len(self._cards) > self._size:
                    self._cards.popitem(last=False)
        return loaded
