"""Following the database: the audit-log change watch, the card cache and the index keeper."""

import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot import card_cache, freshness
from bot.answering import Answer, AnswerService, document_of
from bot.card import render_card
from bot.card_cache import CardCache
from bot.freshness import Changes, ChangeWatch, IndexKeeper, StaffIds
from bot.i18n import ENGLISH, Language, Tr
from bot.matching import EventDocument, Matcher, event_document
from bot.moderation.commands import COMMANDS
from bot.moderation.service import ModerationService
from db.audit import new_batch, record_change
from db.engine import make_engine, make_session_factory, unit_of_work
from db.inbox import UpdateInbox
from db.models import AuditEntry, Event
from db.queries import EventCard, matcher_events
from db.vocabulary import Metric
from tests.botapi import FakeTelegram
from tests.conftest import _fresh_postgres_database
from tests.deployment import BotProcess, replies
from tests.e2e import copy_seeded_sqlite, running_bot

ADMIN, NEW_MODERATOR = 1, 2


def audit(session: Session, note: str = "test") -> None:
    record_change(session, "test", note, "event", None, None, None, new_batch())


def answers(sessions: sessionmaker[Session], cards: int = 100) -> AnswerService:
    """An answer service of a process that also writes through `sessions`."""
    service = AnswerService(sessions.kw["bind"], Matcher(), CardCache(cards))
    service.watch_commits(sessions)
    return service


def test_the_watch_sees_each_committed_change_once(seeded: sessionmaker[Session]) -> None:
    watch = ChangeWatch(seeded)
    first = watch.poll()
    assert first is not None and first.ids is None  # the first look: build from scratch
    assert watch.poll() is None
    with unit_of_work(seeded) as session:
        audit(session)
    changes = watch.poll()
    assert changes is not None and changes.ids == (watch.newest,)
    assert watch.poll() is None


@pytest.fixture
def postgres_sessions(
    postgres_admin_url: str, seeded_postgres_template: str
) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(_fresh_postgres_database(postgres_admin_url, seeded_postgres_template))
    yield make_session_factory(engine)
    engine.dispose()


def test_the_watch_sees_a_change_that_commits_after_a_newer_one(
    postgres_sessions: sessionmaker[Session],
) -> None:
    """Ids come from a sequence, so the change holding the lower id may commit last."""
    watch = ChangeWatch(postgres_sessions)
    watch.poll()
    with postgres_sessions() as slow:
        slow.begin()
        audit(slow, "slow")
        slow.flush()  # takes the lower id, commits later
        with unit_of_work(postgres_sessions) as fast:
            audit(fast, "fast")
        fast_change = watch.poll()
        assert fast_change is not None and fast_change.ids == (watch.newest,)
        assert watch.poll() is None
        slow.commit()
    # The newest id did not move, yet there is a change: one it cannot name, in a gap below
    # an id already seen, so the index is built again.
    late = watch.poll()
    assert late is not None and late.ids is None
    assert watch.poll() is None


def test_the_watch_floor_follows_settled_ids(seeded: sessionmaker[Session]) -> None:
    now = [0.0]
    watch = ChangeWatch(seeded, settle_seconds=10, clock=lambda: now[0])
    watch.poll()
    for step in range(3):
        now[0] += 20
        with unit_of_work(seeded) as session:
            audit(session, f"step {step}")
        changes = watch.poll()
        assert changes is not None and changes.ids == (watch.newest,)
        assert watch.poll() is None


def count_queries(sessions: sessionmaker[Session]) -> list[str]:
    statements: list[str] = []
    engine = sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    return statements


def test_cards_are_cached_until_a_change_commits(seeded: sessionmaker[Session]) -> None:
    service = answers(seeded)
    service.rebuild_index()
    first = service.card("makiivka-strike")
    assert first is not None
    statements = count_queries(seeded)
    assert service.card("makiivka-strike") is first
    assert statements == []
    with unit_of_work(seeded) as session:
        session.execute(
            update(Event).where(Event.slug == "makiivka-strike").values(title="Renamed strike")
        )
        audit(session)
    renamed = service.card("makiivka-strike")
    assert renamed is not None and renamed.title == "Renamed strike"
    # Unknown slugs, which users type, are looked up every time rather than kept.
    assert service.card("no-such-event") is None
    before = len(statements)
    assert service.card("no-such-event") is None
    assert len(statements) > before


def test_the_cache_keeps_the_most_recently_asked_cards(seeded: sessionmaker[Session]) -> None:
    service = answers(seeded, cards=2)
    slugs = ["makiivka-strike", "kramatorsk-strike"]
    for slug in slugs:
        service.card(slug)
    statements = count_queries(seeded)
    service.card("makiivka-strike")  # now the most recent of the two
    assert statements == []
    service.card("kyiv-drone-attack")  # a third: the least recent goes
    assert statements
    statements.clear()
    service.card("makiivka-strike")
    assert statements == []
    service.card("kramatorsk-strike")  # forgotten: loaded again
    assert statements


def test_each_card_is_rendered_once_until_it_changes(
    seeded: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[str] = []

    def counting(card: EventCard, focus: Metric | None = None, tr: Tr = ENGLISH) -> list[str]:
        rendered.append(card.slug)
        return render_card(card, focus, tr)

    monkeypatch.setattr(card_cache, "render_card", counting)
    service = answers(seeded)
    service.rebuild_index()
    first = service.ask("how many died at Makiivka?")
    again = service.ask("makeevka death toll")
    shown = service.show_event("makiivka-strike")
    assert first.messages() == again.messages() == shown.messages()
    assert rendered == ["makiivka-strike"] and "89" in first.text()
    with unit_of_work(seeded) as session:
        session.execute(
            update(Event).where(Event.slug == "makiivka-strike").values(title="Renamed strike")
        )
        audit(session)
    assert "Renamed strike" in service.ask("how many died at Makiivka?").text()
    assert rendered == ["makiivka-strike", "makiivka-strike"]


def test_a_read_only_unit_of_work_keeps_the_cache(seeded: sessionmaker[Session]) -> None:
    service = answers(seeded)
    card = service.card("kramatorsk-strike")
    service.events()
    assert service.card("kramatorsk-strike") is card


def test_writes_that_change_no_data_keep_the_cache(seeded: sessionmaker[Session]) -> None:
    """Polling writes to the update inbox for every batch; that must not cost every answer
    a query for its card."""
    service = answers(seeded)
    card = service.card("kramatorsk-strike")
    UpdateInbox(seeded, bot_id=1).store([{"update_id": 1, "message": {"text": "hi"}}])
    assert service.card("kramatorsk-strike") is card


def test_answers_from_memory_need_no_query_and_no_wait(seeded: sessionmaker[Session]) -> None:
    service = answers(seeded)
    service.rebuild_index()
    question = "how many died at Makiivka?"
    assert service.ask_from_memory(question) is None  # its card is not loaded yet
    asked = service.ask(question)
    statements = count_queries(seeded)
    remembered = service.ask_from_memory(question)
    assert remembered is not None and remembered.messages() == asked.messages()
    # Questions without an event need no card at all.
    nothing = service.ask_from_memory("what is the capital of France")
    assert nothing is not None and nothing.event is None
    assert statements == []
    with unit_of_work(seeded) as session:
        session.execute(
            update(Event).where(Event.slug == "makiivka-strike").values(title="Renamed strike")
        )
        audit(session)
    assert service.ask_from_memory(question) is None  # the changed card is not in memory
    # While the index is being rebuilt (its lock held), the caller is sent to `ask`.
    service.ask(question)
    with service._lock:
        assert service.ask_from_memory(question) is None


class FlakyWatch(ChangeWatch):
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        super().__init__(sessions)
        self.down = False

    def poll(self) -> Changes | None:
        if self.down:
            raise OperationalError("SELECT", {}, Exception("connection refused"))
        return super().poll()


def test_the_keeper_rides_out_an_outage_and_catches_up_after_it(
    seeded: sessionmaker[Session],
) -> None:
    service = answers(seeded)
    watch = FlakyWatch(seeded)
    keeper = IndexKeeper(service, watch, 0.5, StaffIds(lambda: ()))
    assert keeper.check() and keeper.state.events == 10 and keeper.state.database_ok
    assert not keeper.check()
    change = keeper.state.change_id
    watch.down = True
    assert not keeper.check()
    assert not keeper.state.database_ok and keeper.state.events == 10
    watch.down = False
    assert not keeper.check()  # nothing changed meanwhile: nothing to do
    assert keeper.state.database_ok and keeper.state.change_id == change
    assert keeper.state.rebuilds == 1


# ------------------------------------------------------------ incremental freshness


@dataclass
class Replica:
    """One process's share of a database: its own engine, answers and index keeper."""

    sessions: sessionmaker[Session]
    answers: AnswerService
    keeper: IndexKeeper
    staff: StaffIds
    moderation: ModerationService


@pytest.fixture
def two_replicas(seeded_database_url: str) -> Iterator[tuple[Replica, Replica]]:
    engines = [make_engine(seeded_database_url) for _ in range(2)]
    replicas = []
    for engine in engines:
        sessions = make_session_factory(engine)
        service = answers(sessions)
        moderation = ModerationService(sessions, {ADMIN}, service.refresh_events)
        staff = StaffIds(lambda m=moderation: (user_id for user_id, _ in m.staff()))  # type: ignore[misc]
        keeper = IndexKeeper(service, ChangeWatch(sessions), 0.5, staff)
        assert keeper.check()  # the first look builds the whole index
        replicas.append(Replica(sessions, service, keeper, staff, moderation))
    yield replicas[0], replicas[1]
    for engine in engines:
        engine.dispose()


def edit(replica: Replica, command: str, text: str) -> None:
    replica.moderation.execute(ADMIN, command, COMMANDS[command].bind(text))


def test_an_edit_in_another_process_re_indexes_only_the_event_it_touched(
    two_replicas: tuple[Replica, Replica],
) -> None:
    here, there = two_replicas
    kramatorsk = there.answers.card("kramatorsk-strike")
    assert there.answers.ask("Zyxwv junction").event is None
    edit(here, "alias", 'makiivka-strike "Zyxwv junction" lang=en')
    assert there.keeper.check()
    state = there.keeper.state
    assert state.rebuilds == 1 and state.refreshed == 1  # no rebuild: one event re-indexed
    found = there.answers.ask("Zyxwv junction").event
    assert found is not None and found.slug == "makiivka-strike"
    # The other cards stay in memory: no query for them.
    statements = count_queries(there.sessions)
    assert there.answers.card("kramatorsk-strike") is kramatorsk
    assert statements == []


def test_another_process_s_edit_is_in_the_kept_card_before_anyone_asks(
    two_replicas: tuple[Replica, Replica],
) -> None:
    """The index keeper loads a card it keeps again when another process changed it, so
    the first answer about the event after the edit waits for no query."""
    here, there = two_replicas
    kept: list[tuple[str, Language]] = [
        ("makiivka-strike", "en"),
        ("makiivka-strike", "uk"),
        ("kramatorsk-strike", "en"),
    ]
    for slug, language in kept:
        assert there.answers.card(slug, language) is not None
    edit(here, "editevent", 'makiivka-strike title="A corrected title" date_note="Edited."')
    assert there.keeper.check()
    statements = count_queries(there.sessions)
    card = there.answers.card("makiivka-strike")
    assert card is not None and card.title == "A corrected title"
    translated = there.answers.card("makiivka-strike", "uk")
    assert translated is not None and translated.date_note == "Edited."
    # Kramatorsk's card shows Makiivka's title among its related events.
    linking = there.answers.card("kramatorsk-strike")
    assert linking is not None and "A corrected title" in str(linking.related)
    assert statements == []
    # Cards not kept are not loaded for it.
    assert there.answers.card("kramatorsk-strike", "uk") is not None
    assert statements != []


def test_a_process_does_not_apply_its_own_change_twice(
    two_replicas: tuple[Replica, Replica],
) -> None:
    here, _ = two_replicas
    edit(here, "alias", 'makiivka-strike "Zyxwv junction" lang=en')
    assert here.answers.refreshed == 1  # at once, by the moderation service
    statements = count_queries(here.sessions)
    here.keeper.check()
    assert here.keeper.state.refreshed == 1 and here.keeper.state.rebuilds == 1
    assert not any("event_aliases" in s for s in statements)  # no event was read again


def test_a_renamed_event_is_renamed_in_the_cards_that_link_to_it(
    two_replicas: tuple[Replica, Replica],
) -> None:
    here, there = two_replicas
    before = there.answers.card("kramatorsk-strike")  # presented as retaliation for Makiivka
    assert before is not None and "A corrected title" not in str(before.related)
    edit(here, "editevent", 'makiivka-strike title="A corrected title"')
    there.keeper.check()
    after = there.answers.card("kramatorsk-strike")
    assert after is not None and "A corrected title" in str(after.related)
    assert there.keeper.state.rebuilds == 1


def test_a_whole_rebuild_happens_beside_the_live_index(
    seeded: sessionmaker[Session],
) -> None:
    """Questions are answered from the old index while the new one is built: the answer
    lock is never held during the build."""
    service = answers(seeded)
    service.rebuild_index()
    held: list[bool] = []
    answered: list[Answer | None] = []

    class Watched(Matcher):
        def rebuild(self, documents: Iterable[EventDocument]) -> list[str]:
            held.append(service._lock.locked())
            answered.append(service.ask_from_memory("what is the capital of France"))
            return super().rebuild(documents)

    service._matcher = Watched()
    assert service.rebuild_index() == 10
    assert held == [False] and answered[0] is not None
    assert service.ask("how many died at Makiivka?").event is not None


def test_a_change_committed_during_a_rebuild_is_in_the_new_index(
    seeded: sessionmaker[Session],
) -> None:
    service = answers(seeded)
    service.rebuild_index()
    moderation = ModerationService(seeded, {ADMIN}, service.refresh_events)

    class EditedMeanwhile(Matcher):
        def rebuild(self, documents: Iterable[EventDocument]) -> list[str]:
            # The documents were read; this change is not in them.
            edit_with(moderation, "alias", 'makiivka-strike "Zyxwv junction" lang=en')
            return super().rebuild(documents)

    service._matcher = EditedMeanwhile()
    service.rebuild_index()
    found = service.ask("Zyxwv junction").event
    assert found is not None and found.slug == "makiivka-strike"


def edit_with(moderation: ModerationService, command: str, text: str) -> None:
    moderation.execute(ADMIN, command, COMMANDS[command].bind(text))


def test_the_matcher_reads_each_event_as_the_orm_loads_it(seeded: sessionmaker[Session]) -> None:
    with unit_of_work(seeded) as session:
        expected = {
            e.slug: event_document(
                e,
                [c.claimant.name for c in e.claims if not c.hidden]
                + [c.summary for c in e.claims if not c.hidden]
                + [c.quote for c in e.claims if not c.hidden and c.quote],
                [(link.related_event.slug, link.relation.value) for link in e.links],
            )
            for e in session.scalars(select(Event).where(Event.hidden.is_(False)))
        }
        read = {e.slug: document_of(e) for e in matcher_events(session)}
        some = {e.slug: document_of(e) for e in matcher_events(session, ["kramatorsk-strike"])}
    assert read == expected and len(read) == 10
    assert some == {"kramatorsk-strike": expected["kramatorsk-strike"]}


def test_staff_ids_are_read_again_after_a_grant_elsewhere(
    two_replicas: tuple[Replica, Replica],
) -> None:
    here, there = two_replicas
    assert there.staff.read() == {ADMIN}
    assert there.staff.known(NEW_MODERATOR) is False
    here.moderation.grant(ADMIN, NEW_MODERATOR)
    there.keeper.check()
    assert there.staff.known(NEW_MODERATOR) is None  # forgotten: read again when asked
    assert NEW_MODERATOR in there.staff.read()
    assert there.keeper.state.rebuilds == 1


def test_a_running_replica_applies_another_process_s_edit_to_that_event_alone(
    seeded_sqlite_template: Path, tmp_path: Path
) -> None:
    """A real `claimbot run` follows an edit made by another process (this one): it answers
    with the change and re-indexes only the event the edit touched, as /healthz reports."""
    database = tmp_path / "shared.db"
    shutil.copyfile(seeded_sqlite_template, database)
    url = f"sqlite:///{database}"
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with FakeTelegram(token="7000000014:AAfreshness-replica") as tg:
        replica = BotProcess(tg, url, tmp_path / "replica.log", webhook=True)
        replica.start()
        try:
            asker = tg.add_user("Asker")
            asker.send("zyxwv junction")
            assert "89" not in "\n".join(m.content for m in replies(asker.chat))
            moderation = ModerationService(sessions, {ADMIN}, None)
            edit_with(moderation, "alias", 'makiivka-strike "Zyxwv junction" lang=en')
            with unit_of_work(sessions) as session:
                newest = session.scalar(select(func.max(AuditEntry.id)))
            deadline = time.monotonic() + 10
            while replica.health()[1]["index"]["change_id"] != newest:
                assert time.monotonic() < deadline, replica.health()
                time.sleep(0.05)
            index = replica.health()[1]["index"]
            assert index["rebuilds"] == 1 and index["refreshed"] == 1
            asker.send("zyxwv junction")
            assert "89" in "\n".join(m.content for m in replies(asker.chat))
        finally:
            assert replica.stop() == 0, replica.log_path.read_text()
            engine.dispose()


def test_changes_seen_but_not_applied_are_applied_by_a_rebuild_after_an_outage(
    two_replicas: tuple[Replica, Replica], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watch has moved past the entries: if reading them failed, which events they
    touched is not known any more, so the next check rebuilds the whole index."""
    here, there = two_replicas
    edit(here, "alias", 'makiivka-strike "Zyxwv junction" lang=en')

    def unreachable(*_args: object) -> None:
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(freshness, "read_entries", unreachable)
    assert not there.keeper.check() and not there.keeper.state.database_ok
    monkeypatch.undo()
    there.keeper.check()
    assert there.keeper.state.rebuilds == 2 and there.keeper.state.database_ok
    found = there.answers.ask("Zyxwv junction").event
    assert found is not None and found.slug == "makiivka-strike"


# ------------------------------------------------------------ the index on disk


def test_a_start_reads_the_index_from_disk_and_applies_the_changes_since(
    seeded: sessionmaker[Session], tmp_path: Path
) -> None:
    path, key = tmp_path / "index.snapshot", "this database"
    first = answers(seeded)
    first.rebuild_index((path, key))
    moderation = ModerationService(seeded, {ADMIN}, None)
    edit_with(moderation, "alias", 'makiivka-strike "Zyxwv junction" lang=en')

    second = answers(seeded)
    statements = count_queries(seeded)
    assert second.resume(path, key)
    assert second.rebuilds == 0 and second.refreshed == 1  # built by no one: read, then one event
    reads = [s for s in statements if "claims.quote" in s]
    assert reads and all("IN (" in s for s in reads)  # that event's claims, no one else's
    found = second.ask("Zyxwv junction").event
    assert found is not None and found.slug == "makiivka-strike"
    assert second.ask("how many died at Makiivka?").event is not None
    # A file written for other data, or none at all, is not used.
    assert not answers(seeded).resume(path, "another database")
    assert not answers(seeded).resume(tmp_path / "missing", key)


# ------------------------------------------------------------ staff checks


def test_questions_from_users_who_are_not_staff_need_no_form_lookup(
    seeded_sqlite_template: Path, tmp_path: Path
) -> None:
    """Only staff have forms: a question from anyone else is not looked up in the forms
    table (that lookup, on every private message, cost a third of the bot's throughput)."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    with FakeTelegram(token="7000000015:AAstaff-checks") as tg:
        url = copy_seeded_sqlite(seeded_sqlite_template, tmp_path)
        with running_bot(tg, url):
            event.listen(Engine, "before_cursor_execute", record)
            try:
                asker = tg.add_user("Asker")
                for question in ("how many died at Makiivka?", "kramatorsk strike"):
                    asker.send(question)
                    assert replies(asker.chat)
            finally:
                event.remove(Engine, "before_cursor_execute", record)
    assert statements and not any("moderator_forms" in s for s in statements)
