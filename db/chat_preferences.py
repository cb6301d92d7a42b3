"""The language each chat chose for the bot's replies: read a few chats' at once, set one."""

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import ChatPreference, utcnow


def chat_languages(session: Session, chat_ids: Collection[int]) -> dict[int, str]:
    """The chosen language of each of these chats that chose one (one primary-key query)."""
    if not chat_ids:
        return {}
    rows = session.execute(
        select(ChatPreference.chat_id, ChatPreference.language).where(
            ChatPreference.chat_id.in_(chat_ids)
        )
    )
    return {row.chat_id: row.language for row in rows}


def set_chat_language(session: Session, chat_id: int, language: str) -> None:
    """Choose a chat's language, replacing any earlier choice (two replicas setting it at
    once leave one of the two, never an error)."""
    now = utcnow()
    values = {"chat_id": chat_id, "language": language, "updated_at": now}
    changed = {"language": language, "updated_at": now}
    key = [ChatPreference.chat_id]
    if session.get_bind().dialect.name == "postgresql":
        statement = postgresql.insert(ChatPreference).values(values)
        session.execute(statement.on_conflict_do_update(index_elements=key, set_=changed))
    else:
        lite = sqlite.insert(ChatPreference).values(values)
        session.execute(lite.on_conflict_do_update(index_elements=key, set_=changed))
