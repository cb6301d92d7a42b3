"""The webhook endpoint Telegram posts updates to, and the health endpoint beside it.

Several processes can serve the same webhook behind a reverse proxy: each hands the
updates it receives to its own Application, and all of them answer from one database.
"""

import asyncio
import hmac
import json
import logging
from typing import Any

from aiohttp import web
from sqlalchemy import Engine, text
from telegram import Update
from telegram.ext import Application

from bot.freshness import IndexKeeper
from config import Settings, SettingsError
from db.outage import describe

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
DATABASE_PING_SECONDS = 3.0
# Telegram's updates are small; anything near this size is not from Telegram.
MAX_UPDATE_BYTES = 1024 * 1024


def check_webhook_settings(settings: Settings) -> None:
    """Webhook mode cannot start without a token, a public URL and a secret: say which."""
    if settings.token is None:
        raise SettingsError("CLAIMBOT_TOKEN: required in webhook mode (the bot's token)")
    if settings.webhook_url is None:
        raise SettingsError(
            "CLAIMBOT_WEBHOOK_URL: required in webhook mode (the public https:// URL of "
            "the webhook, e.g. https://bot.example.org/telegram)"
        )
    if settings.webhook_secret is None:
        raise SettingsError(
            "CLAIMBOT_WEBHOOK_SECRET: required in webhook mode (1-256 characters of "
            "A-Z, a-z, 0-9, _ and -; Telegram sends it with every update)"
        )


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


class WebhookServer:
    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        settings: Settings,
        health: Health,
    ) -> None:
        check_webhook_settings(settings)
        assert settings.webhook_secret is not None
        self._application = application
        assert settings.webhook_url is not None
        self._url = settings.webhook_url
        self._secret = settings.webhook_secret.get_secret_value()
        self._host = settings.webhook_listen
        self._port = settings.webhook_port
        self._path = settings.webhook_path
        self._health = health
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        app.router.add_post(self._path, self._receive)
        app.router.add_get(HEALTH_PATH, self._report_health)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        log.info("webhook listening on %s:%d%s", self._host, self._port, self._path)

    async def register(self) -> None:
        """Tell Telegram where to post updates; every replica registers the same public URL."""
        await self._application.bot.set_webhook(
            self._url, secret_token=self._secret, allowed_updates=Update.ALL_TYPES
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret.encode()):
            log.warning("refused a webhook request without the secret from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            data = await request.json()
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("no update_id")
            update = Update.de_json(data, self._application.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("refused a webhook request that is not an update")
            return web.Response(status=400, text="not an update")
        # Acknowledged once queued: the Application answers it, and on a graceful stop
        # it finishes every queued update first.
        await self._application.update_queue.put(update)
        return web.Response(text="ok")

    async def _report_health(self, _request: web.Request) -> web.Response:
        healthy, report = await self._health.report()
        return web.Response(
            status=200 if healthy else 503,
            text=json.dumps(report),
            content_type="application/json",
        )
