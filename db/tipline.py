"""The users' loop in the database: questions asked, the moderators' inbox and its askers,
feedback on answers, spam blocks, and what /forget and the retention period delete.

Telegram user ids are kept only on the askers of open items (to tell them the answer);
everything else about a user is under `user_hash`, a keyed hash whose key the migration
made once in `tipline_state`.
"""

import datetime as dt
import hashlib
import hmac
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from db.engine import unit_of_work
from db.models import (
    AnswerFeedback,
    AskedQuestion,
    Event,
    TiplineAsker,
    TiplineBlock,
    TiplineItem,
    TiplineState,
    utcnow,
)

OPEN, ANSWERED, DISMISSED, SPAM = "open", "answered", "dismissed", "spam"
QUESTION, TIP = "question", "tip"
UP, DOWN = "up", "down"


def user_hash(session: Session, user_id: int) -> str:
    key = session.scalar(select(TiplineState.hash_key).where(TiplineState.id == 1))
    assert key is not None  # the migration made it
    return hmac.new(key.encode(), str(user_id).encode(), hashlib.sha256).hexdigest()


class QuestionRow(NamedTuple):
    id: int
    text: str
    language: str
    chat_type: str
    outcome: str
    event_id: int | None


def record_questions(session: Session, rows: Sequence[QuestionRow]) -> None:
    """One insert for a batch of questions: the figures' cost on the answering path."""
    if rows:
        session.execute(
            insert(AskedQuestion), [row._asdict() | {"asked_at": utcnow()} for row in rows]
        )


def event_ids(session: Session, slugs: Collection[str]) -> dict[str, int]:
    return dict(session.execute(select(Event.slug, Event.id).where(Event.slug.in_(slugs))).all())


def lock_inbox(session: Session) -> None:
    """Serialise inbox writers (every replica's) until the transaction ends, so two people
    asking the same question at once are counted on one item."""
    session.execute(
        update(TiplineState).where(TiplineState.id == 1).values(writes=TiplineState.writes + 1)
    )


def open_folded(session: Session, kind: str) -> list[tuple[int, str]]:
    """(id, folded text) of the open items of a kind, for near-duplicate grouping."""
    rows = session.execute(
        select(TiplineItem.id, TiplineItem.folded).where(
            TiplineItem.status == OPEN, TiplineItem.kind == kind
        )
    )
    return [(item_id, folded) for item_id, folded in rows]


def add_asker(
    session: Session, item: TiplineItem, hashed: str, user_id: int, chat_id: int, language: str
) -> bool:
    """Count this user as asking the item; False if they already had."""
    known = session.scalar(
        select(TiplineAsker.id).where(
            TiplineAsker.item_id == item.id, TiplineAsker.user_hash == hashed
        )
    )
    if known is not None:
        return False
    session.add(
        TiplineAsker(
            item_id=item.id, user_hash=hashed, user_id=user_id, chat_id=chat_id, language=language
        )
    )
    item.askers += 1
    return True


def tips_since(session: Session, hashed: str, since: dt.datetime) -> int:
    return (
        session.scalar(
            select(func.count(TiplineAsker.id))
            .join(TiplineItem, TiplineItem.id == TiplineAsker.item_id)
            .where(
                TiplineAsker.user_hash == hashed,
                TiplineItem.kind == TIP,
                TiplineAsker.asked_at >= since,
            )
        )
        or 0
    )


def blocked_until(session: Session, hashed: str) -> dt.datetime | None:
    block = session.get(TiplineBlock, hashed)
    return block.until if block is not None and block.until > utcnow() else None


def block(session: Session, hashed: str, until: dt.datetime) -> None:
    row = session.get(TiplineBlock, hashed)
    if row is None:
        session.add(TiplineBlock(user_hash=hashed, until=until))
    else:
        row.until = max(row.until, until)


def unblock(session: Session, hashes: list[str]) -> None:
    session.execute(delete(TiplineBlock).where(TiplineBlock.user_hash.in_(hashes)))


def item_hashes(session: Session, item_id: int) -> list[str]:
    return list(
        session.scalars(select(TiplineAsker.user_hash).where(TiplineAsker.item_id == item_id))
    )


def set_vote(
    session: Session, hashed: str, event_id: int, question_id: int | None, vote: str
) -> None:
    """One vote per user and event: a second press changes it (and drops its reason)."""
    row = session.scalar(
        select(AnswerFeedback).where(
            AnswerFeedback.user_hash == hashed, AnswerFeedback.event_id == event_id
        )
    )
    if row is None:
        session.add(
            AnswerFeedback(user_hash=hashed, event_id=event_id, question_id=question_id, vote=vote)
        )
        return
    row.vote, row.reason, row.at = vote, None, utcnow()
    row.question_id = question_id or row.question_id


def set_reason(session: Session, hashed: str, event_id: int, reason: str) -> AnswerFeedback | None:
    row = session.scalar(
        select(AnswerFeedback).where(
            AnswerFeedback.user_hash == hashed,
            AnswerFeedback.event_id == event_id,
            AnswerFeedback.vote == DOWN,
        )
    )
    if row is not None:
        row.reason = reason
    return row


def question_text(session: Session, question_id: int | None) -> str | None:
    if question_id is None:
        return None
    return session.scalar(select(AskedQuestion.text).where(AskedQuestion.id == question_id))


def open_items(session: Session, offset: int, limit: int) -> tuple[list[TiplineItem], int]:
    """A page of the open items, most asked first, and how many are open."""
    rows = session.scalars(
        select(TiplineItem)
        .where(TiplineItem.status == OPEN)
        .order_by(TiplineItem.askers.desc(), TiplineItem.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), _open_total(session)


def open_count(sessions: sessionmaker[Session]) -> int:
    """Open items in the moderators' inbox: what a dashboard watches to see questions and
    tips waiting for an answer."""
    with unit_of_work(sessions) as session:
        return _open_total(session)


def _open_total(session: Session) -> int:
    count = session.scalar(select(func.count(TiplineItem.id)).where(TiplineItem.status == OPEN))
    return int(count or 0)


def forget_ids(session: Session, item_id: int) -> None:
    """A dismissed item's askers keep no Telegram ids: nobody will be told anything."""
    session.execute(
        update(TiplineAsker)
        .where(TiplineAsker.item_id == item_id)
        .values(user_id=None, chat_id=None)
    )


@dataclass(frozen=True)
class Recipient:
    asker_id: int
    chat_id: int
    language: str


def unnotified(session: Session, item_id: int) -> list[Recipient]:
    """The askers of an answered item not told yet."""
    rows = session.execute(
        select(TiplineAsker.id, TiplineAsker.chat_id, TiplineAsker.language)
        .join(TiplineItem, TiplineItem.id == TiplineAsker.item_id)
        .where(
            TiplineItem.id == item_id,
            TiplineItem.status == ANSWERED,
            TiplineAsker.chat_id.is_not(None),
            TiplineAsker.notified_at.is_(None),
        )
        .order_by(TiplineAsker.id)
    )
    return [Recipient(a, c, language) for a, c, language in rows if c is not None]


def mark_notified(session: Session, asker_id: int) -> bool:
    """Record one asker as told (their ids go); False if another replica did first."""
    done = session.execute(
        update(TiplineAsker)
        .where(TiplineAsker.id == asker_id, TiplineAsker.notified_at.is_(None))
        .values(notified_at=utcnow(), user_id=None, chat_id=None)
    )
    return bool(getattr(done, "rowcount", 0))


@dataclass(frozen=True)
class Forgotten:
    items: int
    feedback: int


def forget_user(session: Session, hashed: str) -> Forgotten:
    """Delete what is kept about one user: their part in inbox items (and the items only
    they sent), and their feedback. Questions asked carry no user, so none can be found."""
    items = list(
        session.scalars(select(TiplineAsker.item_id).where(TiplineAsker.user_hash == hashed))
    )
    session.execute(delete(TiplineAsker).where(TiplineAsker.user_hash == hashed))
    alone = list(
        session.scalars(
            select(TiplineItem.id).where(
                TiplineItem.id.in_(items),
                ~select(TiplineAsker.id).where(TiplineAsker.item_id == TiplineItem.id).exists(),
            )
        )
    )
    session.execute(delete(TiplineItem).where(TiplineItem.id.in_(alone)))
    session.execute(
        update(TiplineItem)
        .where(TiplineItem.id.in_(set(items) - set(alone)))
        .values(askers=TiplineItem.askers - 1)
    )
    feedback = session.execute(delete(AnswerFeedback).where(AnswerFeedback.user_hash == hashed))
    return Forgotten(len(items), int(getattr(feedback, "rowcount", 0)))


def purge(session: Session, before: dt.datetime) -> None:
    """Delete closed items, questions and feedback older than the retention period, and
    spam blocks that have run out."""
    session.execute(
        delete(TiplineItem).where(TiplineItem.status != OPEN, TiplineItem.closed_at < before)
    )
    session.execute(delete(AskedQuestion).where(AskedQuestion.asked_at < before))
    session.execute(delete(AnswerFeedback).where(AnswerFeedback.at < before))
    session.execute(delete(TiplineBlock).where(TiplineBlock.until < utcnow()))
