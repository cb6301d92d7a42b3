"""The update inbox on SQLite and PostgreSQL: what polling keeps so a restart loses nothing.

The processes around it (a bot killed and restarted) are tested in tests/test_faults.py.
"""

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from db.engine import unit_of_work
from db.inbox import KEEP_HANDLED, UpdateInbox, mark_handled
from db.models import InboxUpdate, utcnow

BOT, OTHER_BOT = 7000000001, 7000000002


def message(update_id: int, text: str = "how many died at Makiivka?") -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1672531200,
            "chat": {"id": 10001, "type": "private"},
            "text": text,
        },
    }


def test_updates_are_kept_whole_and_handed_back_oldest_first(
    seeded: sessionmaker[Session],
) -> None:
    inbox = UpdateInbox(seeded, BOT)
    odd = message(5, "<b>&amp;</b> 🙂 \u202e" + "я" * 4000)
    assert inbox.store([message(7), odd, message(6)]) == [5, 6, 7]
    assert inbox.unhandled() == [odd, message(6), message(7)]


def test_an_update_stored_before_is_not_handed_out_again(seeded: sessionmaker[Session]) -> None:
    """Telegram sends again what a killed process stored but never confirmed."""
    inbox = UpdateInbox(seeded, BOT)
    inbox.store([message(1), message(2)])
    inbox.mark_handled([1])
    assert inbox.store([message(1), message(2), message(3)]) == [3]
    assert [u["update_id"] for u in inbox.unhandled()] == [2, 3]


def test_each_bot_has_its_own_inbox(seeded: sessionmaker[Session]) -> None:
    mine, other = UpdateInbox(seeded, BOT), UpdateInbox(seeded, OTHER_BOT)
    mine.store([message(1)])
    assert other.store([message(1)]) == [1]
    other.mark_handled([1])
    assert [u["update_id"] for u in mine.unhandled()] == [1]
    assert other.unhandled() == []


def test_a_mark_made_in_a_change_that_rolls_back_is_undone(
    seeded: sessionmaker[Session],
) -> None:
    inbox = UpdateInbox(seeded, BOT)
    inbox.store([message(1)])
    with seeded() as session, session.begin():
        mark_handled(session, BOT, [1])
        session.rollback()
    assert [u["update_id"] for u in inbox.unhandled()] == [1]


def test_only_handled_updates_older_than_telegram_keeps_them_are_pruned(
    seeded: sessionmaker[Session],
) -> None:
    inbox = UpdateInbox(seeded, BOT)
    inbox.store([message(1), message(2), message(3)])
    inbox.mark_handled([1, 3])
    long_ago = utcnow() - KEEP_HANDLED - dt.timedelta(minutes=1)
    with unit_of_work(seeded) as session:
        session.execute(
            update(InboxUpdate).where(InboxUpdate.update_id < 3).values(received_at=long_ago)
        )
    # 1 is handled and old; 2 is old but never handled; 3 is handled but recent.
    assert inbox.prune() == 1
    assert inbox.store([message(1), message(2), message(3)]) == [1]
    assert [u["update_id"] for u in inbox.unhandled()] == [1, 2]


def test_updates_left_unhandled_too_long_are_claimed_by_one_sweep(
    seeded: sessionmaker[Session],
) -> None:
    """A webhook replica that died or stopped leaves its updates stored and unhandled: the
    first replica to sweep after they went stale takes them, and no other does."""
    inbox, other_replica = UpdateInbox(seeded, BOT), UpdateInbox(seeded, BOT)
    inbox.store([message(1), message(2), message(3)])
    inbox.mark_handled([2])
    stale = dt.timedelta(minutes=5)
    assert inbox.claim_stale(stale) == []  # just stored: still in someone's hands
    with unit_of_work(seeded) as session:
        session.execute(
            update(InboxUpdate).values(received_at=utcnow() - stale - dt.timedelta(seconds=1))
        )
    assert inbox.claim_stale(stale) == [message(1), message(3)]
    assert other_replica.claim_stale(stale) == []


def test_the_same_update_stored_by_two_replicas_is_new_to_one(
    seeded: sessionmaker[Session],
) -> None:
    first, second = UpdateInbox(seeded, BOT), UpdateInbox(seeded, BOT)
    assert first.store([message(1)]) == [1]
    assert second.store([message(1), message(2)]) == [2]
