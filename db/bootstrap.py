"""Bringing a database to a usable state: migrate, then load the seed data once."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from db.engine import unit_of_work
from db.migrate import upgrade
from db.queries import is_empty

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

SEED_ACTOR = "seed"


@dataclass(frozen=True)
class InitResult:
    seeded: bool
    summary: str


def initialise(engine: Engine, factory: "sessionmaker[Session]") -> InitResult:
    """Migrate to the latest schema and, into an empty database only, load the seed data."""
    upgrade(engine)
    with unit_of_work(factory) as session:
        if not is_empty(session):
            return InitResult(False, "database already holds data; seed data not loaded again")
        # Imported here: the seed and its importer load only into an empty database, and
        # every start of a running one would otherwise wait for them.
        from db.import_plan import plan_import
        from db.import_write import apply_import
        from db.seed import load_seed

        plan = plan_import(session, load_seed())
        apply_import(session, plan, actor=SEED_ACTOR)
        return InitResult(True, plan.summary())
