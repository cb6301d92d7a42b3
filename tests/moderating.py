"""Helpers for tests of moderator commands run through the ModerationService."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.moderation.commands import COMMANDS
from bot.moderation.service import CommandResult, ModerationService
from db.engine import unit_of_work
from db.import_export import export_dataset
from db.models import AuditEntry

# The admin, and two moderators the `service` fixture (tests/conftest.py) grants.
ADMIN, MOD, OTHER_MOD = 1, 2, 3


def run(
    service: ModerationService, command: str, text: str, user: int = MOD, **options: Any
) -> CommandResult:
    return service.execute(user, command, COMMANDS[command].bind(text), **options)


def state(sessions: sessionmaker[Session]) -> tuple[str, int]:
    """The whole data set and the number of audit entries: what 'nothing written' compares."""
    with unit_of_work(sessions) as session:
        text = export_dataset(session).model_dump_json()
        return text, session.scalar(select(func.count(AuditEntry.id))) or 0
