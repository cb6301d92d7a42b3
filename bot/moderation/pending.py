"""Previews waiting for their Save: kept in the database, so any replica can apply one, once.

A pending change lives an hour at most; each moderator keeps their latest few. Applying
one deletes its row in the applying transaction, so a second press finds nothing.
"""

import datetime as dt
from typing import Any

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from bot.moderation.errors import NotAllowed, PendingGone
from db.models import PendingChange, utcnow

PENDING_LIFETIME = dt.timedelta(hours=1)
MAX_PENDING = 10  # per moderator: older previews lose their buttons' effect
GONE = "this preview was already saved, cancelled or has expired; nothing more was written."
EXPIRED = "this preview has expired, so nothing was saved. Send the command again."
NOT_YOURS = "only the moderator who asked for this preview can save it."


def rowcount(result: Any) -> int:
    """How many rows a DELETE or UPDATE touched."""
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


def store_pending(session: Session, user_id: int, command: str, payload: dict[str, Any]) -> int:
    """Store a pending change; also drops expired ones and this user's oldest."""
    now = utcnow()
    session.execute(delete(PendingChange).where(PendingChange.expires_at <= now))
    older = session.scalars(
        select(PendingChange.id)
        .where(PendingChange.telegram_user_id == user_id)
        .order_by(PendingChange.id.desc())
        .offset(MAX_PENDING - 1)
    ).all()
    if older:
        session.execute(delete(PendingChange).where(PendingChange.id.in_(older)))
    row = PendingChange(
        telegram_user_id=user_id,
        command=command,
        payload=payload,
        created_at=now,
        expires_at=now + PENDING_LIFETIME,
    )
    session.add(row)
    session.flush()
    return row.id


def open_pending(
    session: Session, user_id: int, pending_id: int
) -> tuple[str, dict[str, Any]] | None:
    """The command and payload of this user's pending change; None (and the row deleted)
    when it has expired, which the caller reports once this transaction is committed."""
    row = session.get(PendingChange, pending_id)
    if row is None:
        raise PendingGone(GONE)
    if row.telegram_user_id != user_id:
        raise NotAllowed(NOT_YOURS)
    if row.expires_at <= utcnow():
        session.delete(row)
        return None
    return row.command, row.payload


def delete_pending(session: Session, user_id: int, pending_id: int) -> bool:
    """Cancel a pending change of this user's; False if there was none."""
    result = session.execute(
        delete(PendingChange).where(
            PendingChange.id == pending_id, PendingChange.telegram_user_id == user_id
        )
    )
    return bool(rowcount(result))


def claim_pending(session: Session, user_id: int, pending_id: int) -> None:
    """Delete the pending row in the applying transaction; refuse if it is already gone.

    On PostgreSQL a concurrent confirmation blocks on the row until this transaction ends,
    then deletes nothing; SQLite serialises the writes. Either way only one applies.
    """
    if not delete_pending(session, user_id, pending_id):
        raise PendingGone(GONE)
