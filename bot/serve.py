"""Serving Telegram until SIGTERM or Ctrl-C: by polling, or as a webhook behind a proxy.

Either way the process survives what it can wait out: Telegram unreachable at start or
later (retried with back-off), the database going away (users are told to try again; the
index keeper notices when it is back). A graceful stop answers every update already
received, and in polling mode confirms them to Telegram, so a restart neither loses nor
repeats one.
"""

import asyncio
import contextlib
import logging
import signal
from contextlib import AsyncExitStack
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from bot.answering import AnswerService
from bot.app import build_application
from bot.freshness import ChangeWatch, IndexKeeper
from bot.resilience import retry_telegram
from bot.runtime import Runtime
from bot.webhook import Health, WebhookServer
from config import SettingsError

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def serve(ctx: Runtime, service: AnswerService, webhook: bool) -> None:
    settings = ctx.settings
    application = build_application(settings, service, ctx.moderation_service(service))
    keeper = IndexKeeper(service, ChangeWatch(ctx.sessions), settings.index_poll_seconds)
    server = WebhookServer(application, settings, Health(ctx.engine, keeper)) if webhook else None
    try:
        asyncio.run(_serve(application, keeper, server))
    except InvalidToken:
        # PTB's message quotes the token: say it without, and without the traceback.
        raise SettingsError(
            "CLAIMBOT_TOKEN: Telegram rejected it (revoked or mistyped? see @BotFather)"
        ) from None


async def _serve(
    application: AnyApplication, keeper: IndexKeeper, server: WebhookServer | None
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    # Exits run in reverse: stop taking updates, answer the queued ones, then shut down.
    async with AsyncExitStack() as stack:
        await retry_telegram("connecting to Telegram", application.initialize)
        stack.push_async_callback(application.shutdown)
        post_init = application.post_init
        if post_init is not None:
            await retry_telegram("setting the command menus", lambda: post_init(application))
        await asyncio.to_thread(keeper.check)
        stack.push_async_callback(_cancel, asyncio.create_task(keeper.run(), name="index"))
        await application.start()
        stack.push_async_callback(application.stop)
        if server is not None:
            await server.start()
            stack.push_async_callback(server.stop)
            await retry_telegram("setting the webhook", server.register)
        else:
            assert application.updater is not None
            await application.updater.start_polling(
                allowed_updates=Update.ALL_TYPES,
                bootstrap_retries=-1,
                error_callback=_polling_failed,
            )
            stack.push_async_callback(application.updater.stop)
            log.info("polling Telegram for updates")
        await stop.wait()
        log.info("stopping: answering the updates already received first")


def _polling_failed(error: TelegramError) -> None:
    # PTB retries getUpdates with growing pauses; one line each, not a traceback.
    log.warning("polling Telegram failed: %s; retrying", error)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
