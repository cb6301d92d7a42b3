"""Who follows which event, and who asked for no notifications (/mute)."""

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Event, Follow, MutedChat, utcnow


def follow(session: Session, chat_id: int, event_id: int, language: str) -> bool:
    """Make the chat follow the event, told in `language`; False if it already did."""
    if session.get(Follow, (chat_id, event_id)) is not None:
        return False
    session.add(Follow(chat_id=chat_id, event_id=event_id, followed_at=utcnow(), language=language))
    session.flush()
    return True


def unfollow(session: Session, chat_id: int, event_id: int) -> bool:
    """Stop the chat following the event; False if it did not."""
    found = session.get(Follow, (chat_id, event_id))
    if found is None:
        return False
    session.delete(found)
    session.flush()
    return True


def is_following(session: Session, chat_id: int, event_id: int) -> bool:
    return session.get(Follow, (chat_id, event_id)) is not None


def followed_events(session: Session, chat_id: int) -> list[tuple[str, str]]:
    """The events a chat follows, as (slug, title), in the order it followed them."""
    rows = session.execute(
        select(Event.slug, Event.title)
        .join(Follow, Follow.event_id == Event.id)
        .where(Follow.chat_id == chat_id, Event.hidden.is_(False))
        .order_by(Follow.followed_at, Event.id)
    ).all()
    return [(slug, title) for slug, title in rows]


def follower_count(session: Session, event_ids: Collection[int]) -> int:
    """How many chats, muted ones not counted, follow at least one of these events."""
    if not event_ids:
        return 0
    muted = select(MutedChat.chat_id)
    return int(
        session.scalar(
            select(func.count(func.distinct(Follow.chat_id))).where(
                Follow.event_id.in_(list(event_ids)), Follow.chat_id.not_in(muted)
            )
        )
        or 0
    )


def follower_count_of(session: Session, slugs: Collection[str]) -> int:
    """`follower_count` of the events with these slugs."""
    if not slugs:
        return 0
    ids = session.scalars(select(Event.id).where(Event.slug.in_(list(slugs)))).all()
    return follower_count(session, ids)


def set_muted(session: Session, chat_id: int, muted: bool) -> bool:
    """Mute or unmute a chat; False if it already was so."""
    found = session.get(MutedChat, chat_id)
    if muted == (found is not None):
        return False
    if found is None:
        session.add(MutedChat(chat_id=chat_id, muted_at=utcnow()))
    else:
        session.delete(found)
    session.flush()
    return True
