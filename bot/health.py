"""What a process's /healthz reports: whether the database answers, and the match index's
state. The webhook server and the web site both serve it."""

import asyncio
from typing import Any

from sqlalchemy import Engine, text

from bot.freshness import IndexKeeper
from db.outage import describe

DATABASE_PING_SECONDS = 3.0


class Health:
    """What /healthz reports: whether the database answers, and the match index's state."""

    def __init__(self, engine: Engine, keeper: IndexKeeper) -> None:
        self._engine = engine
        self._keeper = keeper

    def _ping(self) -> None:
        with self._engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    async def report(self) -> tuple[bool, dict[str, Any]]:
        error: str | None = None
        try:
            await asyncio.wait_for(asyncio.to_thread(self._ping), DATABASE_PING_SECONDS)
        except TimeoutError:
            error = f"no answer within {DATABASE_PING_SECONDS:g} s"
        except Exception as failure:  # any failure to answer is the report, not a crash
            error = describe(failure)
        healthy = error is None
        return healthy, {
            "status": "ok" if healthy else "degraded",
            "database": {"reachable": healthy, "error": error},
            "index": self._keeper.state.to_json(),
        }
