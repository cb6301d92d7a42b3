"""The webhook endpoint Telegram posts updates to, and the health endpoint beside it.

Several processes can serve the same webhook behind a reverse proxy, all answering from
one database. Each update is stored in the update inbox (`db/inbox.py`) before it is
acknowledged, once per bot and update id whichever replica stores it: Telegram sends an
update again when a delivery failed or timed out, and the repeat is acknowledged without
being answered or applied again. Marks of handled updates are written as in polling
(`bot/tg/handled_marks.py`). An update a replica took but never handled (it was killed,
or stopped before answering) is taken over by a replica's sweep after STALE_SECONDS.
"""

import asyncio
import contextlib
import datetime as dt
import hmac
import json
import logging
from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot, Update
from telegram.ext import Application

from bot.health import Health
from bot.metrics import METRICS_PATH, metrics_page
from bot.tg.handled_marks import HandledMarks
from bot.tg.update_processor import LoggedUpdateProcessor
from config import Settings, SettingsError
from db.inbox import UpdateInbox
from db.outage import is_database_outage

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
# Telegram's updates are small; anything near this size is not from Telegram.
MAX_UPDATE_BYTES = 1024 * 1024
# An update stored this long ago and not handled was left by a replica that stopped or
# died: long enough for any update still being handled (an import takes a while).
STALE_SECONDS = 300.0
SWEEP_SECONDS = 30.0


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


def parse_update(body: bytes, bot: Bot) -> tuple[dict[str, Any], Update] | None:
    """A webhook body as JSON and as an update, or None if it is not an update."""
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return None
        return data, Update.de_json(data, bot)
    except Exception:  # whatever a body that is not an update breaks in parsing
        return None


class WebhookServer:
    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        settings: Settings,
        health: Health,
        sessions: sessionmaker[Session],
    ) -> None:
        check_webhook_settings(settings)
        assert settings.webhook_secret is not None
        processor = application.update_processor
        if not isinstance(processor, LoggedUpdateProcessor):
            raise TypeError("the webhook needs the application built by bot.tg.app")
        self._processor = processor
        self._sessions = sessions
        self._inbox: UpdateInbox | None = None
        self._marks: HandledMarks | None = None
        self._sweeping: asyncio.Task[None] | None = None
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
        """Take updates. The application must be initialized (its bot knows its id)."""
        inbox = self._inbox = UpdateInbox(self._sessions, self._application.bot.id)
        self._marks = HandledMarks(self._processor, self._sessions, inbox)
        self._marks.start()
        self._sweeping = asyncio.create_task(self._sweep(), name="inbox sweep")
        app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        app.router.add_post(self._path, self._receive)
        app.router.add_get(HEALTH_PATH, self._report_health)
        app.router.add_get(METRICS_PATH, metrics_page)
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
        """Take no more updates."""
        if self._sweeping is not None:
            self._sweeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeping
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def finish(self) -> None:
        """After the application has handled what it had: write the last handled marks."""
        if self._marks is not None:
            await self._marks.finish()

    async def _sweep(self) -> None:
        """Take over, every SWEEP_SECONDS, updates other replicas took and never handled."""
        assert self._inbox is not None
        stale = dt.timedelta(seconds=STALE_SECONDS)
        while True:
            try:
                left = await asyncio.to_thread(self._inbox.claim_stale, stale)
            except Exception as error:
                if not is_database_outage(error):
                    log.exception("looking for updates left unhandled failed")
            else:
                if left:
                    log.info("handling %d updates another process left unhandled", len(left))
                for payload in left:
                    update = Update.de_json(payload, self._application.bot)
                    await self._application.update_queue.put(update)
            await asyncio.sleep(SWEEP_SECONDS)

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret.encode()):
            log.warning("refused a webhook request without the secret from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        parsed = parse_update(await request.read(), self._application.bot)
        if parsed is None:
            log.warning("refused a webhook request that is not an update")
            return web.Response(status=400, text="not an update")
        data, update = parsed
        assert self._inbox is not None
        try:
            fresh = await asyncio.to_thread(self._inbox.store, [data])
        except Exception as error:
            if not is_database_outage(error):
                raise
            # Not stored: answered before it is acknowledged instead (users are told to try
            # later), so a failure still makes Telegram send it again.
            await self._application.process_update(update)
            return web.Response(text="ok")
        # Acknowledged once stored; a repeat is acknowledged and nothing more.
        if fresh:
            await self._application.update_queue.put(update)
        return web.Response(text="ok")

    async def _report_health(self, _request: web.Request) -> web.Response:
        healthy, report = await self._health.report()
        return web.Response(
            status=200 if healthy else 503,
            text=json.dumps(report),
            content_type="application/json",
        )
