"""The database on SQLite and PostgreSQL: schema from migrations, constraints, seed loading."""

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.bootstrap import initialise
from db.cards import load_event_card
from db.engine import unit_of_work
from db.migrate import is_up_to_date
from db.models import (
    Appearance,
    Assessment,
    AuditEntry,
    Base,
    Claim,
    Event,
    EventLink,
    Source,
)
from db.seed import load_seed
from db.vocabulary import (
    Lifecycle,
    Metric,
    Qualifier,
    Relation,
    Side,
    SourceKind,
    VerificationStatus,
)


def count(sessions: sessionmaker[Session], model: type) -> int:
    with unit_of_work(sessions) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_init_migrates_and_loads_the_seed_once(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    assert not is_up_to_date(engine)
    first = initialise(engine, sessions)
    assert first.seeded
    assert is_up_to_date(engine)
    tables = set(inspect(engine).get_table_names())
    assert {
        "events",
        "event_aliases",
        "event_links",
        "sources",
        "claims",
        "appearances",
        "assessments",
        "audit_log",
        "moderators",
        "alembic_version",
    } <= tables
    seed = load_seed()
    assert count(sessions, Claim) == len(seed.claims)
    assert count(sessions, Event) == len(seed.events)

    second = initialise(engine, sessions)
    assert not second.seeded
    assert count(sessions, Claim) == len(seed.claims)


def test_seed_is_attributed_in_the_audit_log(seeded: sessionmaker[Session]) -> None:
    with unit_of_work(seeded) as session:
        actors = set(session.scalars(select(AuditEntry.actor)))
        claim_entries = session.scalar(
            select(func.count()).where(AuditEntry.entity == "claim", AuditEntry.action == "new")
        )
    assert actors == {"seed"}
    assert claim_entries == len(load_seed().claims)


def test_makiivka_card_keeps_every_competing_figure(seeded: sessionmaker[Session]) -> None:
    with unit_of_work(seeded) as session:
        card = load_event_card(session, "makiivka-strike")
    assert card is not None
    killed = {c.wording: c for c in card.claims if c.metric == Metric.KILLED}
    figures = {c.low or c.high for c in killed.values()}
    assert {63, 89, 400} <= figures
    by_figure = {c.low: c for c in killed.values() if c.qualifier == Qualifier.EXACT}
    assert by_figure[89].supersedes_id == by_figure[63].id
    assert by_figure[63].lifecycle == Lifecycle.SUPERSEDED
    assert by_figure[89].claimant == by_figure[63].claimant
    # Superseded is a lifecycle, not a verdict.
    assert by_figure[63].status != VerificationStatus.FALSE
    assert any(r.slug == "kramatorsk-strike" for r in card.related)


@pytest.mark.parametrize(
    ("qualifier", "low", "high"),
    [
        (Qualifier.EXACT, 63, 89),
        (Qualifier.UP_TO, 10, None),
        (Qualifier.RANGE, 150, 100),
        (Qualifier.NONE, 1, 1),
        (Qualifier.VAGUE, 12, None),
    ],
)
def test_database_rejects_a_figure_that_does_not_fit_its_qualifier(
    seeded: sessionmaker[Session], qualifier: Qualifier, low: int | None, high: int | None
) -> None:
    with pytest.raises(IntegrityError), unit_of_work(seeded) as session:
        claim = session.scalars(select(Claim).where(Claim.qualifier.is_not(None))).first()
        assert claim is not None
        session.execute(
            text("UPDATE claims SET qualifier = :q, low = :low, high = :high WHERE id = :id"),
            {"q": qualifier.value, "low": low, "high": high, "id": claim.id},
        )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE claims SET status = 'probably' WHERE id = (SELECT min(id) FROM claims)",
        "UPDATE sources SET side = 'martian' WHERE id = (SELECT min(id) FROM sources)",
        "UPDATE appearances SET url = 'ftp://example.org/x' "
        "WHERE id = (SELECT min(id) FROM appearances)",
        "UPDATE appearances SET publisher_id = NULL, document = NULL, url = NULL, "
        "document_id = NULL WHERE id = (SELECT min(id) FROM appearances)",
        "UPDATE events SET slug = 'Not A Slug' WHERE id = (SELECT min(id) FROM events)",
        "UPDATE events SET end_date = '2000-01-01' WHERE start_date IS NOT NULL",
        "INSERT INTO event_links (event_id, related_event_id, relation) "
        "SELECT id, id, 'related' FROM events LIMIT 1",
        "UPDATE claims SET event_id = 999999 WHERE id = (SELECT min(id) FROM claims)",
    ],
    ids=["status", "side", "url", "appearance-says-where", "slug", "dates", "self-link", "fk"],
)
def test_database_constraints_reject_bad_rows(
    seeded: sessionmaker[Session], statement: str
) -> None:
    with pytest.raises(IntegrityError), unit_of_work(seeded) as session:
        session.execute(text(statement))


@pytest.mark.parametrize("table", ["assessments", "audit_log"])
@pytest.mark.parametrize("change", ["UPDATE {table} SET id = id", "DELETE FROM {table}"])
def test_history_tables_are_append_only(
    seeded: sessionmaker[Session], table: str, change: str
) -> None:
    with pytest.raises(Exception, match="append-only"), unit_of_work(seeded) as session:
        session.execute(text(change.format(table=table)))
    with unit_of_work(seeded) as session:
        assert session.scalar(text(f"SELECT count(*) FROM {table}"))


def test_orm_models_round_trip_on_both_databases(seeded: sessionmaker[Session]) -> None:
    with unit_of_work(seeded) as session:
        source = Source(
            name="Testville city council <&>", kind=SourceKind.OFFICIAL, side=Side.UKRAINE
        )
        event = Event(
            slug="test-strike",
            title="Strike on Testville",
            summary="A test.",
            place="Testville",
            start_date=dt.date(2023, 1, 10),
        )
        claim = Claim(
            key="test-claim",
            event=event,
            claimant=source,
            metric=Metric.KILLED,
            qualifier=Qualifier.APPROX,
            low=12,
            high=12,
            wording="about 12",
            summary="About 12 killed.",
            quote="about 12 people were killed",
        )
        claim.appearances.append(Appearance(publisher=source, url="https://example.org/a"))
        claim.assessments.append(Assessment(status=VerificationStatus.DISPUTED, set_by="tester"))
        session.add_all(
            [
                claim,
                EventLink(
                    event=event,
                    related_event=session.scalars(select(Event)).first(),
                    relation=Relation.RELATED,
                ),
            ]
        )
    with unit_of_work(seeded) as session:
        stored = session.scalars(select(Claim).where(Claim.key == "test-claim")).one()
        assert stored.claimant.name == "Testville city council <&>"
        assert stored.assessments[0].set_at.tzinfo is not None
        assert stored.appearances[0].url == "https://example.org/a"


def test_the_migrations_make_exactly_the_schema_the_models_declare(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """A model changed without a migration (or the reverse) would fail on a real database
    only when that column is first used; Alembic's comparison finds it here."""
    initialise(engine, sessions)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
