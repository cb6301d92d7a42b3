"""The audit trail as moderators page through it: of a claim, an event with its claims, or all."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AuditEntry, Claim

HISTORY_PAGE_SIZE = 6


@dataclass(frozen=True)
class HistoryTarget:
    entity: str | None  # "event" or "claim"; None for every change
    entity_id: int | None
    title: str


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class HistoryPage:
    target: HistoryTarget
    entries: tuple[HistoryEntry, ...]
    page: int
    pages: int


def history_page(session: Session, target: HistoryTarget, page: int) -> HistoryPage:
    query = select(AuditEntry)
    if target.entity == "claim":
        query = query.where(AuditEntry.entity == "claim", AuditEntry.entity_id == target.entity_id)
    elif target.entity == "event":
        claim_ids = select(Claim.id).where(Claim.event_id == target.entity_id)
        query = query.where(
            ((AuditEntry.entity == "event") & (AuditEntry.entity_id == target.entity_id))
            | ((AuditEntry.entity == "claim") & AuditEntry.entity_id.in_(claim_ids))
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // HISTORY_PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = session.scalars(
        query.order_by(AuditEntry.id.desc())
        .offset((page - 1) * HISTORY_PAGE_SIZE)
        .limit(HISTORY_PAGE_SIZE)
    ).all()
    entries = tuple(
        HistoryEntry(r.id, r.at, r.actor, r.action, r.entity, r.entity_id, r.before, r.after)
        for r in rows
    )
    return HistoryPage(target, entries, page, pages)
