"""Schema versions at start-up: the head is known without Alembic, and an old schema is migrated."""

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from bot.cli import main
from db.migrate import HEAD_REVISION, MIGRATIONS, is_up_to_date, upgrade


def test_the_head_revision_is_the_newest_migration() -> None:
    # A new migration must move HEAD_REVISION on, or every start would see the schema as old.
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_heads() == [HEAD_REVISION]


def test_a_database_at_an_older_schema_version_is_migrated_when_asked(
    engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    upgrade(engine, "0004")
    assert not is_up_to_date(engine)
    monkeypatch.setenv("CLAIMBOT_DATABASE_URL", database_url)

    status = main(["ask", "how many died at makiivka"])

    output = capsys.readouterr()
    if engine.dialect.name == "sqlite":
        assert status == 0
        assert "Makiivka" in output.out
        assert is_up_to_date(engine)
    else:  # a shared PostgreSQL database is migrated deliberately, never by a question
        assert status == 1
        assert "claimbot db upgrade" in output.err
        assert not is_up_to_date(engine)
