"""Run the Alembic migrations: the only way the schema is created or changed."""

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"

# The newest migration's revision id. Checking a database against it is one query, so a
# command on a current database never imports Alembic (half a second of every start);
# tests/test_database.py fails when a new migration is added and this is not moved on.
HEAD_REVISION = "0009"


def _config() -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    with engine.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def is_up_to_date(engine: Engine) -> bool:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False  # a new database: the migrations create everything
        versions = connection.execute(text("SELECT version_num FROM alembic_version"))
        return set(versions.scalars()) == {HEAD_REVISION}
