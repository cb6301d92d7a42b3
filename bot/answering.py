"""Answering a question: match it to an event, then load that event's card.

This is the one path the terminal chat, `claimbot ask` and the Telegram
handlers share. It knows nothing of Telegram.
"""

import copy
import logging
import threading
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from bot.card import focus_of, render_card_text
from bot.card_cache import CardCache
from bot.i18n import DEFAULT_LANGUAGE, ENGLISH, Language, translator
from bot.index_snapshot import read_snapshot, write_snapshot
from bot.matching import (
    MAX_QUESTION_CHARS,
    Candidate,
    Decision,
    EventDocument,
    Matcher,
    event_document,
)
from bot.references import appearance_label
from bot.rendering import html_to_text, render_candidates_prompt, render_no_match
from db.cards import load_event_card
from db.changes import (
    Entry,
    LogPosition,
    Touched,
    entry_ids,
    log_position,
    on_commit_with_changes,
    read_entries,
    touched,
)
from db.queries import (
    EventCard,
    EventListing,
    MatcherEvent,
    SourceView,
    list_events,
    list_sources,
    matcher_events,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    question: str
    outcome: Decision
    event: EventCard | None
    candidates: tuple[Candidate, ...]
    # The reply as Telegram HTML: a card's pages (from the card cache), which its buttons
    # switch between in one message, or the one message of any other reply.
    rendered: tuple[str, ...]
    language: Language = DEFAULT_LANGUAGE  # the reader's, that the reply is written in

    def pages(self) -> list[str]:
        return list(self.rendered)

    def messages(self) -> list[str]:
        """The messages the bot sends in reply: one, a card's first page."""
        return self.pages()[:1]

    def text(self) -> str:
        """The whole reply as plain text, as the terminal shows it (a card unpaged)."""
        if self.event is not None:
            tr = translator(self.language)
            return html_to_text(render_card_text(self.event, focus_of(self.question), tr))
        return "\n\n".join(html_to_text(message) for message in self.messages())

    def to_json(self) -> dict[str, Any]:
        event = self.event
        return {
            "question": self.question,
            "outcome": self.outcome.value,
            "event": None
            if event is None
            else {
                "slug": event.slug,
                "title": event.title,
                "date": event.start_date.isoformat() if event.start_date else None,
                "end_date": event.end_date.isoformat() if event.end_date else None,
                "place": event.place,
            },
            "candidates": [
                {"slug": c.slug, "title": c.title, "score": round(c.score, 1)}
                for c in self.candidates
            ],
            "claims": [] if event is None else [claim_json(c) for c in event.claims],
            "text": self.text(),
        }


def claim_json(claim: Any) -> dict[str, Any]:
    return {
        "id": claim.id,
        "key": claim.key,
        "claimant": claim.claimant.name,
        "claimant_side": claim.claimant.side.value,
        "publishers": [appearance_label(ENGLISH, a) for a in claim.appearances],
        "metric": claim.metric.value,
        "subject": claim.subject,
        "figure": {
            "qualifier": claim.qualifier.value if claim.qualifier else None,
            "low": claim.low,
            "high": claim.high,
        },
        "wording": claim.wording,
        "summary": claim.summary,
        "status": claim.status.value,
        "lifecycle": claim.lifecycle.value,
        "date": claim.stated_on.isoformat() if claim.stated_on else None,
        "quote": claim.quote,
    }


def _reply_without_card(
    question: str, outcome: Decision, candidates: tuple[Candidate, ...], language: Language
) -> Answer:
    titles = [c.title for c in candidates]
    tr = translator(language)
    if outcome == Decision.AMBIGUOUS:
        message = render_candidates_prompt(titles, tr)
    else:
        message = render_no_match(titles, tr)
    return Answer(question, outcome, None, candidates, (message,), language)


def document_of(event: MatcherEvent) -> EventDocument:
    return event_document(event, event.claim_terms, event.related)


# Past this many events, a change is applied by rebuilding the whole index beside the live one
# (which answers meanwhile) rather than event by event under the answer lock.
REBUILD_ABOVE = 1000
# Past this many new audit entries, the index is rebuilt rather than the entries read one by
# one (an import of many events).
ENTRY_LIMIT = 10 * REBUILD_ABOVE


class AnswerService:
    """Questions in, answers out; keeps the in-memory match index in step with the database.

    It reads columns on `engine`'s connections, never ORM entities. Cards come through `cards`,
    the card cache. In a process that also writes (`watch_commits`), a data change it commits
    makes the cache drop the cards it touched at once; the moderation service re-indexes the
    events it touched (`refresh_events`), and the index keeper skips the entries it wrote
    (`take_others`). Changes from other processes come through the index keeper.
    """

    def __init__(self, engine: Engine, matcher: Matcher, cards: CardCache) -> None:
        self._engine = engine
        self._matcher = matcher
        self._cards = cards
        # Held to match and to change the live index; never while a whole index is built.
        self._lock = threading.Lock()
        self._rebuilding = threading.Lock()
        # Events changed while a rebuild was reading the data: indexed again after it.
        self._dirty: set[str] | None = None
        self._own: set[int] = set()  # audit entries this process wrote, not yet seen by the keeper
        self.rebuilds = 0
        self.built_from: LogPosition | None = None  # where the last whole build read the log
        self.refreshed = 0  # events re-indexed one by one

    def watch_commits(self, sessions: "sessionmaker[Session]") -> None:
        """Learn of each data change this process commits through `sessions` as it commits."""
        on_commit_with_changes(sessions, self._committed)

    def _committed(self, entries: list[Entry]) -> None:
        # Events and claims are what the moderation service re-indexes itself.
        own = {e.id for e in entries if e.entity in ("event", "claim")}
        with self._lock:
            self._own |= own
        with self._engine.connect() as connection:
            stale = touched(connection, entries)
        self._cards.forget(None if stale.other_cards else stale.events)

    def take_others(self, ids: Collection[int]) -> list[int]:
        """Of these audit entries, those this process did not write (and forget its own)."""
        with self._lock:
            own = self._own.intersection(ids)
            self._own -= own
        return [i for i in ids if i not in own]

    def forget_own(self, up_to: int | None) -> None:
        """A full rebuild read everything up to `up_to`: this process's entries up to there
        are applied."""
        with self._lock:
            self._own = {i for i in self._own if up_to is None or i > up_to}

    def __len__(self) -> int:
        return len(self._matcher)

    @property
    def engine(self) -> Engine:
        return self._engine

    def apply(self, stale: Touched) -> None:
        """Apply changes another process made: re-index the events they touched (all, if
        that is not known), and load again the cards kept of them (drop every card, where
        any may show what changed)."""
        if stale.events is None or len(stale.events) > REBUILD_ABOVE:
            self.rebuild_index()
            return
        if stale.events:
            self._reindex(stale.events)
        if stale.other_cards:
            self._cards.forget(None)
        else:
            self._cards.reload(stale.events, self._load_card)

    def resume(self, snapshot: Path, key: str) -> bool:
        """Answer from the index on disk (`bot/index_snapshot.py`), with the changes logged
        since it was written applied; False, and nothing changed, if that cannot be done."""
        fresh = copy.copy(self._matcher)
        position = read_snapshot(snapshot, key, fresh)
        if position is None:
            return False
        with self._engine.connect() as connection:
            # The ids first, then the position: an entry committed in between shows as a gap.
            ids = entry_ids(connection, position.newest)
            now = log_position(connection)
            if now.entries != position.entries + len(ids) or len(ids) > ENTRY_LIMIT:
                log.info("too many changes, or a gap, since the match index snapshot")
                return False
            stale = touched(connection, read_entries(connection, ids))
        if stale.events is None:
            return False
        with self._lock:
            self._matcher = fresh
        self.built_from = now
        self.apply(stale)
        return True

    def rebuild_index(self, snapshot: tuple[Path, str] | None = None) -> int:
        """Build the whole index beside the live one, which answers meanwhile, and swap it in;
        first write it to `snapshot` (path, key), if given."""
        with self._rebuilding:
            with self._lock:
                self._dirty = set()
            try:
                # Forget first: cards loaded from here on are at least as new as the index,
                # which follows changes other processes made (`bot/freshness.py`).
                self._cards.forget(None)
                with self._engine.connect() as connection:
                    # Read first: what commits while the events are read is applied again.
                    position = log_position(connection)
                    documents = [document_of(e) for e in matcher_events(connection)]
                # A shallow copy shares the model and word tables; its index is built anew.
                fresh = copy.copy(self._matcher)
                left_out = fresh.rebuild(documents)
                if snapshot is not None:
                    write_snapshot(*snapshot, fresh, position)
                with self._lock:
                    self._matcher = fresh
            finally:
                with self._lock:
                    dirty, self._dirty = self._dirty, None
            self.rebuilds += 1
            self.built_from = position
        if left_out:
            log.error("events left out of the match index (see the errors above): %s", left_out)
        if dirty:
            self.refresh_events(dirty)
        return len(documents) - len(left_out)

    def refresh_events(self, slugs: Collection[str]) -> None:
        """Re-index events that were added, changed or hidden, and drop their cards."""
        if len(slugs) > REBUILD_ABOVE:
            self.rebuild_index()
            return
        self._reindex(slugs)
        self._cards.forget(slugs)

    def _reindex(self, slugs: Collection[str]) -> None:
        with self._engine.connect() as connection:
            documents = [document_of(e) for e in matcher_events(connection, slugs)]
        with self._lock:
            for slug in slugs:
                self._matcher.remove(slug)
            left_out = [d.slug for d in documents if not self._matcher.upsert(d)]
            if self._dirty is not None:
                self._dirty.update(slugs)
            self.refreshed += len(slugs)
        if left_out:
            log.error("events left out of the match index (see the errors above): %s", left_out)

    def ask(self, question: str, language: Language = DEFAULT_LANGUAGE) -> Answer:
        answer = self._answer(question, language, wait=True)
        assert answer is not None  # waiting, it always has one
        return answer

    def ask_from_memory(
        self, question: str, language: Language = DEFAULT_LANGUAGE
    ) -> Answer | None:
        """`ask`, if that needs neither the database (the card is in memory, or there is no
        card) nor a wait for the index (being rebuilt); else None. For the event loop: a
        worker thread costs ~70 µs of CPU a question, half of what matching does."""
        return self._answer(question, language, wait=False)

    def _answer(self, question: str, language: Language, wait: bool) -> Answer | None:
        question = question[:MAX_QUESTION_CHARS]  # as the matcher reads it
        if not self._lock.acquire(blocking=wait):
            return None
        try:
            result = self._matcher.match(question)
        finally:
            self._lock.release()
        if result.outcome == Decision.ANSWER and result.best is not None:
            slug = result.best.slug
            if wait:
                cached = self._cards.load(slug, language, self._load_card)
            else:
                cached = self._cards.get(slug, language)
            if cached is not None:
                # Page 1 answers first about the measure the question asks about.
                pages = cached.focused(focus_of(question))
                return Answer(
                    question, Decision.ANSWER, cached.card, result.candidates, pages, language
                )
            if not wait:
                return None
            # Hidden since the index was built: answering with nothing beats a stale card.
            return _reply_without_card(question, Decision.NO_MATCH, (), language)
        return _reply_without_card(question, result.outcome, result.candidates, language)

    def show_event(self, slug: str, language: Language = DEFAULT_LANGUAGE) -> Answer:
        """The answer for an event the user picked (a button, /event SLUG, a number)."""
        cached = self._cards.load(slug, language, self._load_card)
        if cached is None:
            return _reply_without_card(slug, Decision.NO_MATCH, (), language)
        return Answer(slug, Decision.ANSWER, cached.card, (), cached.pages, language)

    def card(self, slug: str, language: Language = DEFAULT_LANGUAGE) -> EventCard | None:
        cached = self._cards.load(slug, language, self._load_card)
        return None if cached is None else cached.card

    def _load_card(self, slug: str, language: Language) -> EventCard | None:
        with self._engine.connect() as connection:
            return load_event_card(connection, slug, language)

    def events(self, language: Language = DEFAULT_LANGUAGE) -> list[EventListing]:
        with self._engine.connect() as connection:
            return list_events(connection, language)

    def sources(self) -> list[SourceView]:
        with self._engine.connect() as connection:
            return list_sources(connection)

    def suggest(self, text: str) -> tuple[Candidate, ...]:
        """Events whose names come close to a mistyped slug or name."""
        with self._lock:
            result = self._matcher.match(text.replace("-", " "))
        return result.candidates
