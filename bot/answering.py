"""Answering a question: match it to an event, then load that event's card.

This is the one path the terminal chat, `claimbot ask` and the Telegram
handlers share. It knows nothing of Telegram.
"""

import logging
import threading
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.card import focus_of, render_card_text
from bot.card_cache import CardCache
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
from db.engine import unit_of_work
from db.models import Event
from db.queries import (
    EventCard,
    EventListing,
    SourceView,
    list_events,
    list_sources,
    load_event_card,
    visible_events_with_aliases,
)

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

    def pages(self) -> list[str]:
        return list(self.rendered)

    def messages(self) -> list[str]:
        """The messages the bot sends in reply: one, a card's first page."""
        return self.pages()[:1]

    def text(self) -> str:
        """The whole reply as plain text, as the terminal shows it (a card unpaged)."""
        if self.event is not None:
            return html_to_text(render_card_text(self.event, focus_of(self.question)))
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
        "publishers": [appearance_label(a) for a in claim.appearances],
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
    question: str, outcome: Decision, candidates: tuple[Candidate, ...]
) -> Answer:
    titles = [c.title for c in candidates]
    if outcome == Decision.AMBIGUOUS:
        message = render_candidates_prompt(titles)
    else:
        message = render_no_match(titles)
    return Answer(question, outcome, None, candidates, (message,))


def document_of(event: Event) -> EventDocument:
    visible = [c for c in event.claims if not c.hidden]
    return event_document(
        event,
        [c.claimant.name for c in visible]
        + [c.summary for c in visible]
        + [c.quote for c in visible if c.quote],
        [(link.related_event.slug, link.relation.value) for link in event.links],
    )


class AnswerService:
    """Questions in, answers out; keeps the in-memory match index in step with the database.

    Cards come through `cards`, the card cache, which forgets them when data changes.
    """

    def __init__(self, sessions: sessionmaker[Session], matcher: Matcher, cards: CardCache) -> None:
        self._sessions = sessions
        self._matcher = matcher
        self._cards = cards
        # The index is rebuilt from handler threads and read concurrently.
        self._lock = threading.Lock()

    def rebuild_index(self) -> int:
        # Forget first: cards loaded from here on are at least as new as the index, which
        # follows changes other processes made (`bot/freshness.py`).
        self._cards.forget()
        with unit_of_work(self._sessions) as session:
            documents = [document_of(e) for e in visible_events_with_aliases(session)]
        with self._lock:
            left_out = self._matcher.rebuild(documents)
        if left_out:
            log.error("events left out of the match index (see the errors above): %s", left_out)
        return len(documents) - len(left_out)

    def refresh_events(self, slugs: Collection[str]) -> None:
        """Re-index events moderators added, changed or hid, without a full rebuild."""
        with unit_of_work(self._sessions) as session:
            documents = [document_of(e) for e in visible_events_with_aliases(session, slugs)]
        with self._lock:
            for slug in slugs:
                self._matcher.remove(slug)
            left_out = [d.slug for d in documents if not self._matcher.upsert(d)]
        if left_out:
            log.error("events left out of the match index (see the errors above): %s", left_out)

    def ask(self, question: str) -> Answer:
        answer = self._answer(question, wait=True)
        assert answer is not None  # waiting, it always has one
        return answer

    def ask_from_memory(self, question: str) -> Answer | None:
        """`ask`, if that needs neither the database (the card is in memory, or there is no
        card) nor a wait for the index (being rebuilt); else None. For the event loop: a
        worker thread costs ~70 µs of CPU a question, half of what matching does."""
        return self._answer(question, wait=False)

    def _answer(self, question: str, wait: bool) -> Answer | None:
        question = question[:MAX_QUESTION_CHARS]  # as the matcher reads it
        if not self._lock.acquire(blocking=wait):
            return None
        try:
            result = self._matcher.match(question)
        finally:
            self._lock.release()
        if result.outcome == Decision.ANSWER and result.best is not None:
            slug = result.best.slug
            cached = self._cards.load(slug, self._load_card) if wait else self._cards.get(slug)
            if cached is not None:
                # Page 1 answers first about the measure the question asks about.
                pages = cached.focused(focus_of(question))
                return Answer(question, Decision.ANSWER, cached.card, result.candidates, pages)
            if not wait:
                return None
            # Hidden since the index was built: answering with nothing beats a stale card.
            return _reply_without_card(question, Decision.NO_MATCH, ())
        return _reply_without_card(question, result.outcome, result.candidates)

    def show_event(self, slug: str) -> Answer:
        """The answer for an event the user picked (a button, /event SLUG, a number)."""
        cached = self._cards.load(slug, self._load_card)
        if cached is None:
            return _reply_without_card(slug, Decision.NO_MATCH, ())
        return Answer(slug, Decision.ANSWER, cached.card, (), cached.pages)

    def card(self, slug: str) -> EventCard | None:
        cached = self._cards.load(slug, self._load_card)
        return None if cached is None else cached.card

    def _load_card(self, slug: str) -> EventCard | None:
        with unit_of_work(self._sessions) as session:
            return load_event_card(session, slug)

    def events(self) -> list[EventListing]:
        with unit_of_work(self._sessions) as session:
            return list_events(session)

    def sources(self) -> list[SourceView]:
        with unit_of_work(self._sessions) as session:
            return list_sources(session)

    def suggest(self, text: str) -> tuple[Candidate, ...]:
        """Events whose names come close to a mistyped slug or name."""
        with self._lock:
            result = self._matcher.match(text.replace("-", " "))
        return result.candidates
