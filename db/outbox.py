"""The notification outbox: what followers are to be told, written with the change itself.

A change to an event's claims (any data command, an undo, an import) calls
`record_changes` in its own transaction. The first change a reader would notice opens
one pending `Notification` for the event holding its claims as readers saw them before,
due a quiet period later; later changes find it open and leave it be. When it falls due
a sender `prepare`s it: the difference between that state and the claims now is
rendered (by the caller, which knows the card), and a `Delivery` row is written for
every follower. Senders then `claim_deliveries` in batches, each row leased to one of
them (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises the writes), and
`mark_sent` each right after Telegram accepted it.
"""

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from db.engine import unit_of_work
from db.follows import follower_count
from db.models import (
    ChatPreference,
    Claim,
    Delivery,
    Event,
    Follow,
    MutedChat,
    Notification,
    Source,
    utcnow,
)

# What a reader sees of a claim, as far as telling followers goes: its figure, its status
# and its place in a revision chain. Wording, quotes, aliases and reports are not news.
WATCHED = ("claimant", "metric", "qualifier", "low", "high", "supersedes", "lifecycle", "status")
# Shown (a vague figure is its wording; a statement without one, its summary), but not news
# when only they change.
SHOWN = ("wording", "summary")

State = dict[str, dict[str, Any]]  # claim key -> the WATCHED and SHOWN fields, as JSON


@dataclass(frozen=True)
class ClaimChange:
    """A claim's stored record (`db.import_export.claim_record`, as JSON) before and after
    one write; None where the claim did not exist (or no longer does)."""

    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(frozen=True)
class Due:
    """A delivery a sender claimed: the chat, and the message to send it."""

    id: int
    chat_id: int
    language: str
    text: str
    event_slug: str


def seen(record: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What readers see of a claim record; None for no claim or a hidden one."""
    if record is None or record.get("hidden"):
        return None
    return {name: record.get(name) for name in (*WATCHED, *SHOWN)}


def differs(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> bool:
    """Whether a reader would notice the change from `old` to `new` (both from `seen`)."""
    if old is None or new is None:
        return old is not new
    return any(old.get(name) != new.get(name) for name in WATCHED)


def event_state(session: Session, event_id: int) -> State:
    """The event's claims as readers see them now."""
    claimant, superseded = aliased(Source), aliased(Claim)
    rows = session.execute(
        select(
            Claim.key,
            claimant.name,
            Claim.metric,
            Claim.qualifier,
            Claim.low,
            Claim.high,
            superseded.key,
            Claim.lifecycle,
            Claim.status,
            Claim.wording,
            Claim.summary,
        )
        .join(claimant, Claim.claimant_id == claimant.id)
        .outerjoin(superseded, Claim.supersedes_id == superseded.id)
        .where(Claim.event_id == event_id, Claim.hidden.is_(False))
    ).all()
    state: State = {}
    for key, *values in rows:
        record = dict(zip((*WATCHED, *SHOWN), values, strict=True))
        state[key] = {k: v.value if hasattr(v, "value") else v for k, v in record.items()}
    return state


def watched_events(session: Session) -> set[str]:
    """The events a change may have to be noted for: followed, or with a notification
    pending. A large import asks this first, so that it keeps and notes only the changes
    to these, not to every event it touches."""
    pending = select(Notification.event_id).where(Notification.prepared_at.is_(None))
    watched = select(Follow.event_id).union(pending)
    return set(session.scalars(select(Event.slug).where(Event.id.in_(watched))))


def record_changes(
    session: Session, changes: Iterable[ClaimChange], quiet: dt.timedelta, *, silent: bool
) -> int:
    """Note claim changes in the outbox, in the caller's transaction; returns how many
    chats will be told (0 when `silent`).

    A silent change is folded into an open notification's `before`, so it is not told
    later either; without one it needs nothing.
    """
    firsts: dict[str, Mapping[str, Any] | None] = {}  # claim key -> its record before
    slugs: set[str] = set()
    for change in changes:
        for record in (change.before, change.after):
            if record is not None:
                slugs.add(record["event"])
                firsts.setdefault(record["key"], change.before)
    ids = dict(session.execute(select(Event.slug, Event.id).where(Event.slug.in_(slugs))).all())
    noticed: dict[int, tuple[str, State]] = {}
    for slug, event_id in ids.items():
        current = event_state(session, event_id)
        if any(differs(seen(_on(r, slug)), current.get(k)) for k, r in firsts.items()):
            noticed[event_id] = (slug, current)
    if silent:
        for event_id, (slug, current) in noticed.items():
            open_one = _open_notification(session, event_id)
            if open_one is not None:
                open_one.before = _absorb(open_one.before, firsts, current, slug)
        return 0
    now = utcnow()
    for event_id, (slug, current) in noticed.items():
        if _open_notification(session, event_id) is not None:
            continue  # it holds the state before the first change, this one included
        if not _has_followers(session, event_id):
            continue
        before = {k: v for k, v in current.items() if k not in firsts}
        for key, record in firsts.items():
            shown = seen(_on(record, slug))
            if shown is not None:
                before[key] = shown
        session.add(
            Notification(
                event_id=event_id, before=before, created_at=now, due_at=now + quiet, texts=None
            )
        )
    session.flush()
    return follower_count(session, list(noticed))


def _on(record: Mapping[str, Any] | None, slug: str) -> Mapping[str, Any] | None:
    return record if record is not None and record.get("event") == slug else None


def _open_notification(session: Session, event_id: int) -> Notification | None:
    """The event's notification not yet due, locked: two changes at once find one."""
    return session.scalars(
        select(Notification)
        .where(Notification.event_id == event_id, Notification.prepared_at.is_(None))
        .with_for_update()
    ).first()


def _absorb(
    before: State, firsts: Mapping[str, Mapping[str, Any] | None], current: State, slug: str
) -> State:
    """`before` with a silent change applied, field by field, so that only what the
    silent change did is hidden from the pending notification."""
    absorbed = dict(before)
    for key, record in firsts.items():
        old, new = seen(_on(record, slug)), current.get(key)
        if new is None:
            absorbed.pop(key, None)
        elif old is None or key not in absorbed:
            absorbed[key] = new
        else:
            absorbed[key] = {
                name: new[name] if old.get(name) != new.get(name) else value
                for name, value in absorbed[key].items()
            }
    return absorbed


def _has_followers(session: Session, event_id: int) -> bool:
    found = session.scalars(select(Follow.chat_id).where(Follow.event_id == event_id)).first()
    return found is not None


# ---------------------------------------------------------------- sending


# What followers reading one language are told of an event's changes since a state.
Render = Callable[[Session, int, State, str], str | None]


# A follower reads the language its chat chose with /language since following, if any; else
# the one it followed in.
_READS = func.coalesce(ChatPreference.language, Follow.language)


def _followers(*columns: Any) -> Select[Any]:
    return (
        select(*columns)
        .select_from(Follow)
        .outerjoin(ChatPreference, ChatPreference.chat_id == Follow.chat_id)
    )


def prepare_due(session: Session, render: Render, limit: int = 10) -> int:
    """Render the notifications that fell due, in each language their followers read, and
    write their deliveries; how many."""
    due = session.scalars(
        select(Notification)
        .where(Notification.prepared_at.is_(None), Notification.due_at <= utcnow())
        .order_by(Notification.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for notification in due:
        told = (
            Follow.event_id == notification.event_id,
            Follow.chat_id.not_in(select(MutedChat.chat_id)),
        )
        languages = session.scalars(_followers(_READS).where(*told).distinct())
        texts = {
            language: text
            for language in languages
            if (text := render(session, notification.event_id, notification.before, language))
        }
        notification.texts = texts or None
        notification.prepared_at = utcnow()
        if texts:
            followers = _followers(literal(notification.id), Follow.chat_id, _READS)
            columns = [Delivery.notification_id, Delivery.chat_id, Delivery.language]
            session.execute(insert(Delivery).from_select(columns, followers.where(*told)))
    return len(due)


def claim_deliveries(session: Session, lease: dt.timedelta, limit: int) -> list[Due]:
    """Lease up to `limit` unsent deliveries to this sender, oldest first.

    A lease outlives a sender that was killed: its rows are claimed again when it ends.
    """
    now = utcnow()
    ids = list(
        session.scalars(
            select(Delivery.id)
            .where(
                Delivery.sent_at.is_(None),
                (Delivery.leased_until.is_(None)) | (Delivery.leased_until < now),
            )
            .order_by(Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return []
    session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(leased_until=now + lease))
    rows = session.execute(
        select(Delivery.id, Delivery.chat_id, Delivery.language, Notification.texts, Event.slug)
        .join(Notification, Delivery.notification_id == Notification.id)
        .join(Event, Notification.event_id == Event.id)
        .where(Delivery.id.in_(ids))
        .order_by(Delivery.id)
    ).all()
    return [
        Due(i, chat, language, (texts or {}).get(language, ""), slug)
        for i, chat, language, texts, slug in rows
    ]


def mark_sent(session: Session, delivery_ids: Collection[int]) -> None:
    ids = list(delivery_ids)
    session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(sent_at=utcnow()))


def release(session: Session, delivery_ids: Iterable[int]) -> None:
    """Give leased deliveries back unsent (a sender stopping), for any sender to take."""
    ids = list(delivery_ids)
    if ids:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.sent_at.is_(None))
            .values(leased_until=None)
        )


def drop_chat(session: Session, chat_id: int) -> None:
    """A chat that blocked the bot: unfollow everything, and send it nothing more."""
    session.execute(delete(Follow).where(Follow.chat_id == chat_id))
    session.execute(delete(Delivery).where(Delivery.chat_id == chat_id, Delivery.sent_at.is_(None)))


def backlog(sessions: sessionmaker[Session]) -> int:
    """Deliveries not sent yet, by any sender (the outbox backlog gauge)."""
    with unit_of_work(sessions) as session:
        unsent = select(func.count()).select_from(Delivery).where(Delivery.sent_at.is_(None))
        return int(session.scalar(unsent) or 0)
