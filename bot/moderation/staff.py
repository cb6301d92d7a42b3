"""Who may moderate: roles, what each may do, and grants as the audit log keeps them."""

import datetime as dt
from dataclasses import dataclass

from pydantic import BaseModel

from db.models import Moderator
from db.vocabulary import Role


@dataclass(frozen=True)
class ModeratorView:
    user_id: int
    role: Role
    granted_by: int | None
    granted_at: dt.datetime | None  # None for admins, who are set by CLAIMBOT_ADMIN_IDS


class ModeratorRecord(BaseModel):
    """A grant as the audit log keeps it."""

    telegram_user_id: int
    role: Role
    granted_by: int | None
    granted_at: dt.datetime


def moderator_record(row: Moderator | None) -> ModeratorRecord | None:
    if row is None:
        return None
    return ModeratorRecord(
        telegram_user_id=row.telegram_user_id,
        role=row.role,
        granted_by=row.granted_by,
        granted_at=row.granted_at,
    )


def allowed(role: Role | None, needed: Role) -> bool:
    """Admins may do everything; moderators everything but what needs an admin."""
    return role == Role.ADMIN or (role == Role.MODERATOR and needed == Role.MODERATOR)


def refusal(needed: Role) -> str:
    if needed == Role.ADMIN:
        return "Sorry, only admins can do that."
    return "Sorry, only moderators can do that."
