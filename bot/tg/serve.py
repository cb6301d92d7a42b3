"""Serving Telegram until SIGTERM or Ctrl-C: by polling, or as a webhook behind a proxy.

Either way the process survives what it can wait out: Telegram unreachable at start or
later (retried with back-off), the database going away (users are told to try again; the
index keeper notices when it is back). A graceful stop answers every update already
received first. Polling keeps what it received in the database until handled
(`bot/tg/polling.py`), so even a killed process neither loses nor repeats an update.
"""

import asyncio
import contextlib
import logging
import signal
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from telegram.error import InvalidToken
from telegram.ext import Application

from bot.answering import AnswerService
from bot.freshness import ChangeWatch, IndexKeeper
from bot.runtime import Runtime
from bot.tg.app import build_application
from bot.tg.polling import DurablePolling
from bot.tg.resilience import retry_telegram
from bot.tg.webhook import Health, WebhookServer
from config import SettingsError

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class Serving:
    """What `claimbot run` serves with: the application, its index keeper, and where
    updates come from (polling, or the webhook)."""

    application: AnyApplication
    keeper: IndexKeeper
    receiver: WebhookServer | DurablePolling


def assemble(ctx: Runtime, service: AnswerService, webhook: bool) -> Serving:
    settings = ctx.settings
    application = build_application(settings, service, ctx.moderation_service(service))
    keeper = IndexKeeper(service, ChangeWatch(ctx.sessions), settings.index_poll_seconds)
    receiver: WebhookServer | DurablePolling = (
        WebhookServer(application, settings, Health(ctx.engine, keeper))
        if webhook
        else DurablePolling(application, ctx.sessions)
    )
    return Serving(application, keeper, receiver)


def serve(ctx: Runtime, service: AnswerService, webhook: bool) -> None:
    serving = assemble(ctx, service, webhook)
    try:
        asyncio.run(_serve_until_signalled(serving))
    except InvalidToken:
        # PTB's message quotes the token: say it without, and without the traceback.
        raise SettingsError(
            "CLAIMBOT_TOKEN: Telegram rejected it (revoked or mistyped? see @BotFather)"
        ) from None


async def _serve_until_signalled(serving: Serving) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve_until(stop, serving)


async def serve_until(stop: asyncio.Event, serving: Serving) -> None:
    """Take and answer updates until `stop` is set, then stop gracefully."""
    application, keeper, receiver = serving.application, serving.keeper, serving.receiver
    # Exits run in reverse: stop taking updates, answer the queued ones, then shut down.
    async with AsyncExitStack() as stack:
        await retry_telegram("connecting to Telegram", application.initialize)
        stack.push_async_callback(application.shutdown)
        post_init = application.post_init
        if post_init is not None:
            await retry_telegram("setting the command menus", lambda: post_init(application))
        await asyncio.to_thread(keeper.check)
        stack.push_async_callback(_cancel, asyncio.create_task(keeper.run(), name="index"))
        if isinstance(receiver, DurablePolling):
            stack.push_async_callback(receiver.finish)
        await application.start()
        stack.push_async_callback(application.stop)
        if isinstance(receiver, WebhookServer):
            await receiver.start()
            stack.push_async_callback(receiver.stop)
            await retry_telegram("setting the webhook", receiver.register)
        else:
            await receiver.start()
            stack.push_async_callback(receiver.stop_polling)
        await stop.wait()
        log.info("stopping: answering the updates already received first")


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
