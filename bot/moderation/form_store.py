"""Where guided forms wait between answers: the database, so any replica can continue one.

One form per moderator (forms run in their private chat). Each answer saves the form and
moves its expiry on; a form left longer than the timeout is gone, and the moderator is
told so instead of having a late answer taken as a question or the start of a new form.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from bot.moderation.commands import COMMANDS
from bot.moderation.forms import Form
from bot.moderation.pending import rowcount
from db.engine import unit_of_work
from db.models import ModeratorForm, utcnow


@dataclass(frozen=True)
class ExpiredForm:
    command: str


class FormStore:
    def __init__(self, sessions: sessionmaker[Session], timeout: dt.timedelta) -> None:
        self._sessions = sessions
        self.timeout = timeout

    def load(self, user_id: int) -> Form | ExpiredForm | None:
        """This moderator's form, if one is open; an expired one is removed as it is found."""
        with unit_of_work(self._sessions) as session:
            row = session.get(ModeratorForm, user_id)
            if row is None:
                return None
            spec = COMMANDS.get(row.command)
            if row.expires_at <= utcnow() or spec is None:
                session.delete(row)
                return ExpiredForm(row.command)
            return Form(spec, row.state)

    def save(self, user_id: int, form: Form) -> None:
        """Keep the form for its next answer (replacing any other), and drop expired ones."""
        now = utcnow()
        state: dict[str, Any] = form.state()
        with unit_of_work(self._sessions) as session:
            session.execute(delete(ModeratorForm).where(ModeratorForm.expires_at <= now))
            row = session.get(ModeratorForm, user_id)
            if row is None:
                row = ModeratorForm(telegram_user_id=user_id)
                session.add(row)
            row.command, row.state = form.spec.name, state
            row.updated_at, row.expires_at = now, now + self.timeout

    def drop(self, user_id: int) -> bool:
        """End this moderator's form; False if there was none."""
        with unit_of_work(self._sessions) as session:
            result = session.execute(
                delete(ModeratorForm).where(ModeratorForm.telegram_user_id == user_id)
            )
            return rowcount(result) > 0
