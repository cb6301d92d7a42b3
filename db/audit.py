"""The audit log: every change to the data, with who made it and the record before and after."""

import uuid

from pydantic import BaseModel
from sqlalchemy.orm import Session

from db.models import AuditEntry


def changes_data(session: Session) -> bool:
    """Whether the flush under way writes a data change: every one writes audit entries
    (other writes, such as the update inbox or pending previews, change no data)."""
    return any(isinstance(row, AuditEntry) for row in session.new)


def new_batch() -> str:
    """An id shared by all audit entries of one command, so they can be undone together."""
    return uuid.uuid4().hex


# A change followers are not told of (silent=yes) says so in its batch id, and so does its
# undo ("undo:silent:..."), which is silent too; both fit the 40 characters of the column.
SILENT_MARK = "silent:"


def silent_batch() -> str:
    return SILENT_MARK + uuid.uuid4().hex[:28]


def is_silent(batch: str) -> bool:
    return SILENT_MARK in batch


def record_change(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None,
    before: BaseModel | None,
    after: BaseModel | None,
    batch: str,
) -> AuditEntry:
    entry = AuditEntry(
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before.model_dump(mode="json") if before else None,
        after=after.model_dump(mode="json") if after else None,
        batch=batch,
    )
    session.add(entry)
    return entry
