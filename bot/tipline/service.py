"""The users' side of the loop and reading the inbox: questions recorded, questions and tips
put in the moderators' inbox (near-duplicates on one item), feedback votes, /forget, the
figures, and who is still to be told an answer.

Each call is one unit of work on the database, so any replica can take the next step;
nothing of this lives in process memory.
"""

import datetime as dt
import enum
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import Language
from bot.tipline import grouping
from db import tipline
from db.engine import unit_of_work
from db.models import Event, TiplineItem, utcnow
from db.tipline_stats import Figures, figures

INBOX_PAGE_SIZE = 5
QUESTION_IDS = 2**31 - 1  # what a button's number may hold (`bot/tg/callbacks.py`)


def new_question_id() -> int:
    """A question's id, chosen before it is stored: the answer (whose buttons name it) need
    not wait for the database, and replicas need no shared counter."""
    return secrets.randbelow(QUESTION_IDS - 1) + 1


class TipOutcome(enum.Enum):
    TAKEN = "taken"
    LIMITED = "limited"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class Tip:
    outcome: TipOutcome
    until: dt.datetime | None = None  # BLOCKED: when the block ends


@dataclass(frozen=True)
class Asker:
    user_id: int
    chat_id: int
    language: Language  # the reader's: an answer is sent in it


@dataclass(frozen=True)
class Question:
    """A question as the figures keep it (no user), under an id chosen before it is stored."""

    id: int
    text: str
    chat_type: str
    outcome: str  # answer, ambiguous or no_match
    slug: str | None  # the event answered with


@dataclass(frozen=True)
class InboxPage:
    items: Sequence[TiplineItem]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class Limits:
    tips_per_hour: int = 10
    retention_days: int = 90
    spam_block_hours: float = 24


class TiplineService:
    def __init__(self, sessions: sessionmaker[Session], limits: Limits) -> None:
        self._sessions = sessions
        self.limits = limits

    # -------------------------------------------------------- users

    def record_questions(self, questions: Sequence[Question]) -> None:
        """Record answered and offered questions for the figures, in one transaction (a batch
        from `QuestionRecorder`). If an id was taken, the batch goes under new ids."""
        try:
            self._record(questions)
        except IntegrityError:
            self._record([replace(q, id=new_question_id()) for q in questions])

    def _record(self, questions: Sequence[Question]) -> None:
        with unit_of_work(self._sessions) as session:
            slugs = {q.slug for q in questions if q.slug}
            events = tipline.event_ids(session, slugs) if slugs else {}
            tipline.record_questions(
                session,
                [
                    tipline.QuestionRow(
                        q.id,
                        q.text,
                        grouping.language_of(q.text),
                        q.chat_type,
                        q.outcome,
                        events.get(q.slug) if q.slug else None,
                    )
                    for q in questions
                ],
            )

    def record_unanswered(self, question: Question, asker: Asker) -> int:
        """Record a question the bot could not answer and put it in the moderators' inbox,
        asked by `asker`; the question's id (another one if its id was taken)."""
        try:
            return self._record_unanswered(question, asker)
        except IntegrityError:
            return self._record_unanswered(replace(question, id=new_question_id()), asker)

    def _record_unanswered(self, question: Question, asker: Asker) -> int:
        self._record([question])
        with unit_of_work(self._sessions) as session:
            self._refer(session, tipline.QUESTION, question.text, None, asker)
        return question.id

    def refer_question(self, question_id: int, asker: Asker) -> bool:
        """Put a recorded question in the inbox ("None of these", "Wrong event")."""
        with unit_of_work(self._sessions) as session:
            text = tipline.question_text(session, question_id or None)
            if text is None:
                return False
            self._refer(session, tipline.QUESTION, text, None, asker)
            return True

    def tip(self, text: str, origin: str | None, asker: Asker) -> Tip:
        with unit_of_work(self._sessions) as session:
            hashed = tipline.user_hash(session, asker.user_id)
            until = tipline.blocked_until(session, hashed)
            if until is not None:
                return Tip(TipOutcome.BLOCKED, until)
            hour_ago = utcnow() - dt.timedelta(hours=1)
            if tipline.tips_since(session, hashed, hour_ago) >= self.limits.tips_per_hour:
                return Tip(TipOutcome.LIMITED)
            self._refer(session, tipline.TIP, text, origin, asker)
            return Tip(TipOutcome.TAKEN)

    def _refer(
        self, session: Session, kind: str, text: str, origin: str | None, asker: Asker
    ) -> None:
        hashed = tipline.user_hash(session, asker.user_id)
        folded = grouping.folded(text)
        tipline.lock_inbox(session)
        # Tips are not merged: two people's tips are two pieces of evidence.
        same = (
            grouping.same_question(folded, tipline.open_folded(session, kind))
            if kind == tipline.QUESTION
            else None
        )
        item = session.get(TiplineItem, same) if same is not None else None
        if item is None:
            item = TiplineItem(
                kind=kind, text=text, folded=folded, origin=origin, status=tipline.OPEN, askers=0
            )
            session.add(item)
            session.flush()
        tipline.add_asker(session, item, hashed, asker.user_id, asker.chat_id, asker.language)

    def vote(self, user_id: int, slug: str, question_id: int, up: bool) -> bool:
        """Record 👍 (`up`) or 👎; False if the event is gone."""
        with unit_of_work(self._sessions) as session:
            event_id = _event_id(session, slug)
            if event_id is None:
                return False
            hashed = tipline.user_hash(session, user_id)
            known = question_id if tipline.question_text(session, question_id or None) else None
            tipline.set_vote(session, hashed, event_id, known, tipline.UP if up else tipline.DOWN)
            return True

    def reason(self, user_id: int, slug: str, reason: str) -> bool:
        """Record what was wrong with a 👎'd card; False if there is no 👎 to explain."""
        with unit_of_work(self._sessions) as session:
            event_id = _event_id(session, slug)
            if event_id is None:
                return False
            hashed = tipline.user_hash(session, user_id)
            return tipline.set_reason(session, hashed, event_id, reason) is not None

    def forget(self, user_id: int) -> tipline.Forgotten:
        with unit_of_work(self._sessions) as session:
            return tipline.forget_user(session, tipline.user_hash(session, user_id))

    # -------------------------------------------------------- moderators (checked by callers)

    def purge(self) -> None:
        """Delete what is older than the retention period (closed items, questions, feedback)
        and spam blocks that have run out: at start, and whenever moderators look."""
        with unit_of_work(self._sessions) as session:
            tipline.purge(session, utcnow() - dt.timedelta(days=self.limits.retention_days))

    def inbox(self, page: int) -> InboxPage:
        self.purge()
        with unit_of_work(self._sessions) as session:
            items, total = tipline.open_items(session, page * INBOX_PAGE_SIZE, INBOX_PAGE_SIZE)
            pages = max(1, math.ceil(total / INBOX_PAGE_SIZE))
            if not items and page > 0:
                page = pages - 1
                items, total = tipline.open_items(session, page * INBOX_PAGE_SIZE, INBOX_PAGE_SIZE)
            return InboxPage(items, page, pages, total)

    def open_item(self, item_id: int) -> TiplineItem | None:
        with unit_of_work(self._sessions) as session:
            item = session.get(TiplineItem, item_id)
            return item if item is not None and item.status == tipline.OPEN else None

    def figures(self, days: int) -> Figures:
        """The figures since midnight UTC (`days` 1) or for the last `days` days."""
        now = utcnow()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        since = midnight if days == 1 else now - dt.timedelta(days=days)
        self.purge()
        with unit_of_work(self._sessions) as session:
            return figures(session, since)

    def events(self, slugs: Sequence[str]) -> list[tuple[int, str, str]]:
        """(id, slug, title) of the visible events among `slugs`, in their order."""
        with unit_of_work(self._sessions) as session:
            rows = session.execute(
                select(Event.id, Event.slug, Event.title).where(
                    Event.slug.in_(slugs), Event.hidden.is_(False)
                )
            ).all()
        by_slug = {slug: (event_id, slug, title) for event_id, slug, title in rows}
        return [by_slug[slug] for slug in dict.fromkeys(slugs) if slug in by_slug]

    def event(self, event_id: int) -> tuple[str, str] | None:
        """(slug, title) of a visible event."""
        with unit_of_work(self._sessions) as session:
            row = session.execute(
                select(Event.slug, Event.title).where(Event.id == event_id, Event.hidden.is_(False))
            ).first()
            return (row[0], row[1]) if row else None

    # -------------------------------------------------------- telling askers the answer

    def unnotified(self, item_id: int) -> list[tipline.Recipient]:
        with unit_of_work(self._sessions) as session:
            return tipline.unnotified(session, item_id)

    def notified(self, asker_id: int) -> bool:
        with unit_of_work(self._sessions) as session:
            return tipline.mark_notified(session, asker_id)

    def answered_with(self, item_id: int) -> tuple[str, str] | None:
        """(question, event slug) of an answered item."""
        with unit_of_work(self._sessions) as session:
            row = session.execute(
                select(TiplineItem.text, Event.slug)
                .join(Event, Event.id == TiplineItem.event_id)
                .where(TiplineItem.id == item_id)
            ).first()
            return (row[0], row[1]) if row else None


def _event_id(session: Session, slug: str) -> int | None:
    return session.scalar(select(Event.id).where(Event.slug == slug, Event.hidden.is_(False)))
