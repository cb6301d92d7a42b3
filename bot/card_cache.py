"""The card cache: event cards and their rendered pages, kept in memory until data changes.

Most answers then need neither a query nor rendering. It is bounded (least recently used
cards go first) and forgets everything when a data change commits: at once for changes
made in this process, and when the index keeper rebuilds the index for changes made in
another (`bot/freshness.py`).
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from bot.card import render_card
from db.audit import changes_data
from db.queries import EventCard
from db.vocabulary import Metric


@dataclass(frozen=True)
class CachedCard:
    card: EventCard
    pages: tuple[str, ...]  # Telegram HTML, as `render_card` makes them
    # The pages for a question about another measure than killed, made when first asked.
    by_focus: dict[Metric, tuple[str, ...]] = field(default_factory=dict)

    def focused(self, focus: Metric | None) -> tuple[str, ...]:
        if focus is None:
            return self.pages
        pages = self.by_focus.get(focus)
        if pages is None:
            # Rendered again: only page 1's answer lines differ (page breaks do not).
            pages = self.by_focus[focus] = tuple(render_card(self.card, focus))
        return pages


class CardCache:
    """Up to `size` cards with their pages; safe to use from several threads."""

    def __init__(self, sessions: sessionmaker[Session], size: int) -> None:
        self._size = size
        self._cards: OrderedDict[str, CachedCard] = OrderedDict()
        self._generation = 0
        self._lock = threading.Lock()
        _on_commit_with_changes(sessions, self.forget)

    def forget(self) -> None:
        with self._lock:
            self._generation += 1
            self._cards.clear()

    def get(self, slug: str) -> CachedCard | None:
        """The card if it is in memory; no query."""
        with self._lock:
            cached = self._cards.get(slug)
            if cached is not None:
                self._cards.move_to_end(slug)
            return cached

    def load(self, slug: str, load: Callable[[str], EventCard | None]) -> CachedCard | None:
        """The card from memory, or from `load` (then rendered and kept)."""
        cached = self.get(slug)
        if cached is not None:
            return cached
        with self._lock:
            generation = self._generation
        card = load(slug)
        if card is None:
            # Unknown slugs are not kept: users type them, and they would crowd out cards.
            return None
        loaded = CachedCard(card, tuple(render_card(card)))
        with self._lock:
            # A change committed while this card was loading may not be in it: keep it only
            # if nothing was forgotten meanwhile.
            if generation == self._generation:
                self._cards[slug] = loaded
                self._cards.move_to_end(slug)
                while len(self._cards) > self._size:
                    self._cards.popitem(last=False)
        return loaded


def _on_commit_with_changes(sessions: sessionmaker[Session], callback: Callable[[], None]) -> None:
    """Call `callback` after each commit of a session (from `sessions`) that changed data.

    Other writes (the update inbox, pending previews) leave the cards as they were:
    forgetting them on every write made each answer, under load, load its card again.
    """
    key = "claimbot.changed"

    def after_flush(session: Session, _context: Any) -> None:
        if changes_data(session):
            session.info[key] = True

    def after_commit(session: Session) -> None:
        if session.info.pop(key, False):
            callback()

    def after_rollback(session: Session) -> None:
        session.info.pop(key, None)

    event.listen(sessions, "after_flush", after_flush)
    event.listen(sessions, "after_commit", after_commit)
    event.listen(sessions, "after_rollback", after_rollback)
