"""Alembic environment: migrations run on the connection `db.migrate` hands over."""

from alembic import context
from sqlalchemy import Connection

from db.engine import make_engine
from db.models import Base

config = context.config


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most constraints in place; batch mode copies the table.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    # Run by the `alembic` command itself (e.g. `alembic revision --autogenerate`).
    from config import load_settings

    with make_engine(load_settings().database_url).connect() as new_connection:
        run(new_connection)
