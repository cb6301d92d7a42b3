"""Following the database: the audit-log change watch, the card cache and the index keeper."""

from collections.abc import Iterator

import pytest
from sqlalchemy import event, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot import card_cache
from bot.answering import AnswerService
from bot.card import render_card
from bot.card_cache import CardCache
from bot.freshness import ChangeWatch, IndexKeeper
from bot.matching import Matcher
from db.audit import new_batch, record_change
from db.engine import make_engine, make_session_factory, unit_of_work
from db.inbox import UpdateInbox
from db.models import Event
from db.queries import EventCard
from tests.conftest import _fresh_postgres_database


def audit(session: Session, note: str = "test") -> None:
    record_change(session, "test", note, "event", None, None, None, new_batch())


def answers(sessions: sessionmaker[Session], cards: int = 100) -> AnswerService:
    return AnswerService(sessions, Matcher(), CardCache(sessions, cards))


def test_the_watch_sees_each_committed_change_once(seeded: sessionmaker[Session]) -> None:
    watch = ChangeWatch(seeded)
    assert watch.poll()  # the first look: build from scratch
    assert not watch.poll()
    with unit_of_work(seeded) as session:
        audit(session)
    assert watch.poll()
    assert not watch.poll()


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
        assert watch.poll()
        assert not watch.poll()
        slow.commit()
    assert watch.poll()  # the newest id did not move, yet there is a change
    assert not watch.poll()


def test_the_watch_floor_follows_settled_ids(seeded: sessionmaker[Session]) -> None:
    now = [0.0]
    watch = ChangeWatch(seeded, settle_seconds=10, clock=lambda: now[0])
    watch.poll()
    for step in range(3):
        now[0] += 20
        with unit_of_work(seeded) as session:
            audit(session, f"step {step}")
        assert watch.poll()
        assert not watch.poll()


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

    def counting(card: EventCard) -> list[str]:
        rendered.append(card.slug)
        return render_card(card)

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

    def poll(self) -> bool:
        if self.down:
            raise OperationalError("SELECT", {}, Exception("connection refused"))
        return super().poll()


def test_the_keeper_rides_out_an_outage_and_rebuilds_after_it(
    seeded: sessionmaker[Session],
) -> None:
    service = answers(seeded)
    watch = FlakyWatch(seeded)
    keeper = IndexKeeper(service, watch, interval=0.5)
    assert keeper.check() and keeper.state.events == 10 and keeper.state.database_ok
    assert not keeper.check()
    change = keeper.state.change_id
    watch.down = True
    assert not keeper.check()
    assert not keeper.state.database_ok and keeper.state.events == 10
    watch.down = False
    assert keeper.check()  # rebuilt: whatever happened meanwhile is picked up
    assert keeper.state.database_ok and keeper.state.change_id == change
