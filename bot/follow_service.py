"""Following events: who follows what, and the text a due notification is sent with.

Nothing here knows about Telegram; the bot's handlers (`bot/tg/handlers/follow.py`) and
its delivery worker (`bot/tg/delivery.py`) call it. Each call is one unit of work.
"""

import enum

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.follow import changes_between
from bot.follow_rendering import render_notification
from bot.i18n import DEFAULT_LANGUAGE, Language, is_language, translator
from db import follows
from db.engine import unit_of_work
from db.models import Event, MutedChat, Source
from db.outbox import State, event_state
from db.queries import translated_title


class Followed(enum.Enum):
    NOW = "now"
    ALREADY = "already"
    GONE = "gone"  # no such visible event


class FollowService:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def follow(self, chat_id: int, slug: str, language: Language) -> Followed:
        """Follow an event, to be told of its changes in `language`."""
        with unit_of_work(self._sessions) as session:
            event_id = _visible_event(session, slug)
            if event_id is None:
                return Followed.GONE
            if follows.follow(session, chat_id, event_id, language):
                return Followed.NOW
            return Followed.ALREADY

    def unfollow(self, chat_id: int, slug: str) -> bool:
        with unit_of_work(self._sessions) as session:
            event_id = session.scalar(select(Event.id).where(Event.slug == slug))
            return event_id is not None and follows.unfollow(session, chat_id, event_id)

    def is_following(self, chat_id: int, slug: str) -> bool:
        with unit_of_work(self._sessions) as session:
            event_id = session.scalar(select(Event.id).where(Event.slug == slug))
            return event_id is not None and follows.is_following(session, chat_id, event_id)

    def following(self, chat_id: int) -> tuple[list[tuple[str, str]], bool]:
        """The events a chat follows as (slug, title), and whether it muted them all."""
        with unit_of_work(self._sessions) as session:
            muted = session.get(MutedChat, chat_id) is not None
            return follows.followed_events(session, chat_id), muted

    def mute(self, chat_id: int, muted: bool) -> bool:
        """Mute or unmute; False if the chat already was so."""
        with unit_of_work(self._sessions) as session:
            return follows.set_muted(session, chat_id, muted)


def notification_text(session: Session, event_id: int, before: State, language: str) -> str | None:
    """What followers reading `language` are told of an event's changes since `before`;
    None for nothing a reader would notice (an undone change), or for an event no longer
    shown."""
    event = session.get(Event, event_id)
    if event is None or event.hidden:
        return None
    changes = changes_between(before, event_state(session, event_id))
    if not changes:
        return None
    names = {s.claimant for c in changes for s in (c.now, c.before, c.replaced) if s is not None}
    labels = {
        name: short or name
        for name, short in session.execute(
            select(Source.name, Source.short_name).where(Source.name.in_(names))
        )
    }
    tr = translator(language if is_language(language) else DEFAULT_LANGUAGE)
    return render_notification(tr, translated_title(session, event, tr.language), changes, labels)


def _visible_event(session: Session, slug: str) -> int | None:
    return session.scalar(select(Event.id).where(Event.slug == slug, Event.hidden.is_(False)))
