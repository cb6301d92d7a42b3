"""Moderators' actions on inbox items, audited like any change and undone by /undo.

Each runs inside a moderator's unit of work (`bot.moderation.work.Work`): it checks the
item is still open, changes it, and records its state before and after in the audit log
under the entity `inbox_item`, in the command's batch. Answering with an alias also adds
the alias as an audited event change, so /undo reverts both.
"""

import datetime as dt
from collections.abc import Callable

from pydantic import BaseModel

from bot.moderation.service_commands import NoArguments
from bot.moderation.spec import CommandSpec
from bot.moderation.work import RowChange, Work, dump
from bot.tipline.grouping import ALIAS_LIMIT
from db import tipline
from db.audit import record_change
from db.models import AuditEntry, EventAlias, TiplineItem, utcnow
from db.vocabulary import AliasKind

INBOX_ENTITY = "inbox_item"
Action = Callable[[Work], str]
ANSWER, DISMISS, SPAM = "inbox-answer", "inbox-dismiss", "inbox-spam"
# How /undo names each action it reverts.
INBOX_ACTIONS = {ANSWER: "answer from the inbox", DISMISS: "dismissal", SPAM: "spam marking"}
INBOX = CommandSpec(
    "inbox",
    "Questions the bot could not answer, and tips",
    "/inbox",
    NoArguments,
    changes_data=False,
)


class ItemRecord(BaseModel):
    """An inbox item's state as the audit log keeps it."""

    status: str
    event_id: int | None
    reason: str | None
    closed_at: dt.datetime | None


def _record(item: TiplineItem) -> ItemRecord:
    return ItemRecord(
        status=item.status, event_id=item.event_id, reason=item.reason, closed_at=item.closed_at
    )


def _open_item(w: Work, item_id: int) -> TiplineItem:
    item = w.session.get(TiplineItem, item_id)
    if item is None or item.status != tipline.OPEN:
        w.fail(f"inbox item #{item_id} has been dealt with already.")
    return item


def _close(w: Work, action: str, item: TiplineItem, **values: object) -> None:
    before = _record(item)
    for key, value in values.items():
        setattr(item, key, value)
    item.closed_at = utcnow()
    after = _record(item)
    w.session.flush()
    record_change(w.session, w.actor, action, INBOX_ENTITY, item.id, before, after, w.batch)
    w.changes.append(
        RowChange(INBOX_ENTITY, item.id, f"#{item.id}", action, dump(before), dump(after))
    )


def answer(w: Work, item_id: int, slug: str, alias: str | None) -> str:
    """Link the item to an event; its askers are told after the commit."""
    item = _open_item(w, item_id)
    event = w.event(slug)
    if alias:
        name = alias[:ALIAS_LIMIT].strip()
        if not any(known.text.casefold() == name.casefold() for known in event.aliases):
            before = w.snapshot(event)
            event.aliases.append(EventAlias(text=name, lang=None, kind=AliasKind.NAME))
            w.save("alias", event, before)
            w.touched.add(event.slug)
    # Last, so /undo names the command by this entry.
    _close(w, ANSWER, item, status=tipline.ANSWERED, event_id=event.id)
    return f"Answered #{item.id} with {event.slug}."


def dismiss(w: Work, item_id: int, reason: str) -> str:
    item = _open_item(w, item_id)
    _close(w, DISMISS, item, status=tipline.DISMISSED, reason=reason)
    tipline.forget_ids(w.session, item.id)
    return f"Dismissed #{item.id}: {reason}."


def spam(w: Work, item_id: int, until: dt.datetime) -> str:
    """Hide the item and refuse its senders' tips until `until`."""
    item = _open_item(w, item_id)
    _close(w, SPAM, item, status=tipline.SPAM, reason="spam")
    for hashed in tipline.item_hashes(w.session, item.id):
        tipline.block(w.session, hashed, until)
    tipline.forget_ids(w.session, item.id)
    return (
        f"Marked #{item.id} as spam; its sender's tips are refused until {until:%d %b %H:%M} UTC."
    )


def revert_item(w: Work, entry: AuditEntry) -> None:
    """Undo one inbox action: the item is open again (its askers' ids are gone for good,
    so nobody is told twice), and a spam block it set is lifted."""
    item = w.session.get(TiplineItem, entry.entity_id)
    if item is None:
        w.fail(f"inbox item #{entry.entity_id} has been deleted since (retention or /forget).")
    if entry.after is None or _record(item) != ItemRecord.model_validate(entry.after):
        w.fail(f"inbox item #{item.id} has been changed since, so nothing was undone.")
    current = _record(item)
    restored = ItemRecord.model_validate(entry.before)
    if item.status == tipline.SPAM:
        tipline.unblock(w.session, tipline.item_hashes(w.session, item.id))
    item.status, item.event_id = restored.status, restored.event_id
    item.reason, item.closed_at = restored.reason, restored.closed_at
    w.session.flush()
    record_change(w.session, w.actor, "undo", INBOX_ENTITY, item.id, current, restored, w.batch)
    w.changes.append(
        RowChange(INBOX_ENTITY, item.id, f"#{item.id}", "undo", dump(current), dump(restored))
    )
