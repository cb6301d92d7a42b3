"""What a running bot counts for dashboards: Prometheus metrics, and the text a scrape reads.

The counters are process-wide, as Prometheus expects: each replica is scraped on its own
address and a dashboard sums them. Gauges that describe state (the match index, the update
inbox, the notification outbox) are read when a scrape asks, from what `follow` was last given.
"""

import asyncio
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker

from bot.freshness import IndexKeeper
from db.inbox import backlog
from db.outbox import backlog as outbox_backlog
from db.tipline import open_count

if TYPE_CHECKING:
    # At run time aiohttp is imported where a page is served: a polling bot serves none
    # unless it has a metrics port, and aiohttp's web server costs ~0.4 s of its start.
    from aiohttp import web

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"

QUESTIONS = Counter("claimbot_questions", "Questions asked, by the bot's decision.", ["outcome"])
ANSWER_SECONDS = Histogram(
    "claimbot_answer_seconds",
    "Time to handle one update, from its arrival to its reply sent.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
TELEGRAM_REQUESTS = Counter(
    "claimbot_telegram_requests", "Requests sent to the Bot API, by method.", ["method"]
)
FLOOD_LIMITS = Counter(
    "claimbot_telegram_flood_limits",
    "Bot API answers 429 (too many requests, retry later), by method.",
    ["method"],
)
WEB_REQUESTS = Counter(
    "claimbot_web_requests",
    "Requests to the web site and its API, by route and HTTP status.",
    ["route", "status"],
)
NOTIFICATIONS = Counter(
    "claimbot_notifications",
    "Notifications to followers: sent, or dropped (the chat blocked the bot, or Telegram "
    "refused the message).",
    ["outcome"],
)
DATABASE_ERRORS = Counter(
    "claimbot_database_errors",
    "Updates whose handling the database failed: unreachable, or a query refused.",
    ["kind"],
)


class _StateCollector(Collector):
    def __init__(self) -> None:
        self.keeper: IndexKeeper | None = None
        self.sessions: sessionmaker[Session] | None = None

    def collect(self) -> Iterator[Metric]:
        keeper, sessions = self.keeper, self.sessions
        if keeper is None or sessions is None:
            return
        state = keeper.state
        yield GaugeMetricFamily(
            "claimbot_index_events", "Events in the match index.", value=state.events
        )
        if state.built_at is not None:
            yield GaugeMetricFamily(
                "claimbot_index_built_timestamp_seconds",
                "When the match index was last built or refreshed (Unix time).",
                value=state.built_at.timestamp(),
            )
        try:
            waiting, unsent, unanswered = (
                backlog(sessions),
                outbox_backlog(sessions),
                open_count(sessions),
            )
        except Exception as error:  # a scrape reports what it can while the database is away
            log.warning("metrics: the inbox and outbox could not be counted: %s", error)
            return
        yield GaugeMetricFamily(
            "claimbot_inbox_backlog",
            "Telegram updates stored and not yet handled (every bot on the database).",
            value=waiting,
        )
        yield GaugeMetricFamily(
            "claimbot_outbox_backlog",
            "Notifications to followers written and not yet sent (every bot on the database).",
            value=unsent,
        )
        yield GaugeMetricFamily(
            "claimbot_moderator_inbox_open",
            "Questions and tips in the moderators' /inbox not yet answered or dismissed.",
            value=unanswered,
        )


_STATE = _StateCollector()
REGISTRY.register(_STATE)


def follow(keeper: IndexKeeper, sessions: sessionmaker[Session]) -> None:
    """Report this serving process's index, and its database's inbox, from now on."""
    _STATE.keeper, _STATE.sessions = keeper, sessions


async def metrics_page(_request: "web.Request") -> "web.Response":
    """GET /metrics: what Prometheus scrapes. Counting the inbox asks the database, so the
    page is made off the event loop."""
    from aiohttp import web

    body = await asyncio.to_thread(generate_latest, REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


class MetricsServer:
    """GET /metrics on its own address, for a process that serves no other HTTP (polling)."""

    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        from aiohttp import web

        app = web.Application()
        app.router.add_get(METRICS_PATH, metrics_page)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        log.info("metrics at http://%s:%d%s", self._host, self._port, METRICS_PATH)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
