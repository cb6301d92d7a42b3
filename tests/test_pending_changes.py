"""Pending confirmations live in the database, so any process can complete them, once.

A preview writes nothing but its pending row; confirming applies the change and deletes
the row in one transaction, so a second press (on this process or another) is refused, as
are another user's press and an expired preview, which is also cleaned up.
"""

import datetime as dt
import threading

import pytest
import yaml
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.moderation.commands import COMMANDS
from bot.moderation.errors import ModerationError, NotAllowed, PendingGone
from bot.moderation.pending import EXPIRED
from bot.moderation.service import ModerationService
from db.engine import unit_of_work
from db.import_export import export_dataset
from db.models import AuditEntry, EventAlias, PendingChange

ADMIN, MOD, OTHER_MOD = 1, 2, 3
ALIAS = 'makiivka-strike "Makiivka-Pending" lang=uk'


@pytest.fixture
def service(seeded: sessionmaker[Session]) -> ModerationService:
    moderation = ModerationService(seeded, {ADMIN})
    moderation.grant(ADMIN, MOD)
    moderation.grant(ADMIN, OTHER_MOD)
    return moderation


def state(sessions: sessionmaker[Session]) -> tuple[str, int]:
    with unit_of_work(sessions) as session:
        text = export_dataset(session).model_dump_json()
        return text, session.scalar(select(func.count(AuditEntry.id))) or 0


def aliases(sessions: sessionmaker[Session]) -> int:
    with unit_of_work(sessions) as session:
        query = select(func.count()).where(EventAlias.text == "Makiivka-Pending")
        return session.scalar(query) or 0


def pending_rows(sessions: sessionmaker[Session]) -> int:
    with unit_of_work(sessions) as session:
        return session.scalar(select(func.count(PendingChange.id))) or 0


def preview(service: ModerationService, user: int = MOD, alias: str = ALIAS) -> int:
    _, pending_id = service.preview(user, "alias", COMMANDS["alias"].bind(alias))
    return pending_id


def test_a_pending_change_applies_once_and_only_on_confirmation(
    seeded: sessionmaker[Session], service: ModerationService
) -> None:
    before = state(seeded)
    pending_id = preview(service)
    assert state(seeded) == before  # the preview wrote nothing but its pending row
    assert pending_rows(seeded) == 1
    # Another process: a second service on the same database, with nothing in memory.
    other_process = ModerationService(seeded, {ADMIN})
    outcome = other_process.confirm(MOD, pending_id)
    assert outcome.applied and "Makiivka-Pending" in outcome.message
    assert aliases(seeded) == 1 and pending_rows(seeded) == 0
    after = state(seeded)
    with pytest.raises(PendingGone, match="already saved"):
        service.confirm(MOD, pending_id)
    with pytest.raises(PendingGone):
        other_process.confirm(MOD, pending_id)
    assert state(seeded) == after


def test_only_its_author_may_confirm_or_cancel_it(
    seeded: sessionmaker[Session], service: ModerationService
) -> None:
    before = state(seeded)
    pending_id = preview(service)
    with pytest.raises(NotAllowed, match="only the moderator who asked"):
        service.confirm(OTHER_MOD, pending_id)
    with pytest.raises(NotAllowed):
        service.confirm(ADMIN, pending_id)
    assert not service.discard(OTHER_MOD, pending_id)
    assert state(seeded) == before and pending_rows(seeded) == 1
    assert service.confirm(MOD, pending_id).applied
    assert aliases(seeded) == 1
    cancelled = preview(service, OTHER_MOD, 'makiivka-strike "Makiivka-Cancelled"')
    assert service.discard(OTHER_MOD, cancelled)
    with pytest.raises(PendingGone):
        service.confirm(OTHER_MOD, cancelled)


def test_an_expired_pending_change_is_refused_and_cleaned_up(
    seeded: sessionmaker[Session], service: ModerationService
) -> None:
    before = state(seeded)
    expired, stale = preview(service), preview(service, OTHER_MOD)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with unit_of_work(seeded) as session:
        session.execute(update(PendingChange).values(expires_at=past))
    with pytest.raises(PendingGone) as refused:
        service.confirm(MOD, expired)
    assert refused.value.problem == EXPIRED
    assert state(seeded) == before and pending_rows(seeded) == 1  # that one was deleted
    preview(service)  # a new preview sweeps the other expired row away
    assert pending_rows(seeded) == 1
    with pytest.raises(PendingGone):
        service.confirm(OTHER_MOD, stale)
    assert state(seeded) == before


def test_two_processes_confirming_at_once_apply_it_once(
    seeded: sessionmaker[Session], service: ModerationService
) -> None:
    pending_id = preview(service)
    processes = [service, ModerationService(seeded, {ADMIN})]
    start = threading.Barrier(2)
    results: list[object] = []

    def press(process: ModerationService) -> None:
        start.wait()
        try:
            results.append(process.confirm(MOD, pending_id))
        except ModerationError as error:  # PendingGone, or SQLite's "try again"
            results.append(error)

    threads = [threading.Thread(target=press, args=(p,)) for p in processes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(not isinstance(r, ModerationError) for r in results) == 1, results
    assert aliases(seeded) == 1 and pending_rows(seeded) == 0


def test_a_pending_import_is_confirmed_from_the_stored_data_set(
    seeded: sessionmaker[Session], service: ModerationService
) -> None:
    document = yaml.safe_load(service.export(MOD).content)
    document["sources"].append({"name": "Pending import", "kind": "monitor", "side": "independent"})
    document["claims"][0]["summary"] = "A pending correction."
    data = yaml.safe_dump(document, allow_unicode=True).encode()
    file = service.preview_import(MOD, data, "data.yaml")
    assert file.has_changes and not file.rejected
    before = state(seeded)
    pending_id = service.remember_import(MOD, file)
    assert state(seeded) == before
    outcome = ModerationService(seeded, {ADMIN}).confirm(MOD, pending_id)
    assert outcome.applied and outcome.message.startswith("Imported")
    assert "A pending correction." in state(seeded)[0] and "Pending import" in state(seeded)[0]
    with pytest.raises(PendingGone):
        service.confirm(MOD, pending_id)
