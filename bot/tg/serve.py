"""Serving Telegram until SIGTERM or Ctrl-C: by polling, or as a webhook behind a proxy.

Either way the process survives what it can wait out: Telegram unreachable at start or
later (retried with back-off), the database going away (users are told to try again; the
index keeper notices when it is back). SIGTERM or Ctrl-C ends it within a second in any
state: start-up retries stop at once, and the updates in hand get GRACE_SECONDS to be
answered. Updates are kept in the database until handled (`bot/tg/polling.py`), so those
a stop (or a kill) leaves unanswered are answered after the next start.
"""

import asyncio
import contextlib
import datetime as dt
import gc
import logging
import signal
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.error import InvalidToken
from telegram.ext import Application

from bot.answering import AnswerService
from bot.chat_languages import ChatLanguages
from bot.follow_service import FollowService
from bot.freshness import ChangeWatch, IndexKeeper, StaffIds
from bot.health import Health
from bot.metrics import MetricsServer, follow
from bot.runtime import Runtime
from bot.tg.app import build_application
from bot.tg.delivery import Answers, DeliveryWorker
from bot.tg.polling import DurablePolling
from bot.tg.resilience import retry_telegram
from bot.tg.transport import SendWindow
from bot.tg.update_processor import LoggedUpdateProcessor
from config import SettingsError

if TYPE_CHECKING:
    # At run time imported in webhook mode only: its web server (aiohttp) costs ~0.4 s of
    # every start.
    from bot.tg.webhook import WebhookServer

log = logging.getLogger(__name__)

# How long a stop waits for the answers in hand: a stop signal must end the process
# within a second, whatever Telegram or the database are doing.
GRACE_SECONDS = 0.5

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class Serving:
    """What `claimbot run` serves with: the application, its index keeper, and where
    updates come from (polling, or the webhook)."""

    application: AnyApplication
    keeper: IndexKeeper
    receiver: "WebhookServer | DurablePolling"
    metrics: MetricsServer | None  # polling mode's own /metrics; the webhook serves its own
    delivery: DeliveryWorker  # sends followers their notifications


def assemble(ctx: Runtime, service: AnswerService, webhook: bool) -> Serving:
    settings = ctx.settings
    # Moderators, the inbox and follows write in this process: its answers learn of each
    # change as it commits.
    service.watch_commits(ctx.sessions)
    moderation = ctx.moderation_service(service)
    staff = StaffIds(lambda: (user_id for user_id, _ in moderation.staff()))
    answers_sent = SendWindow()
    application = build_application(
        settings,
        service,
        moderation,
        staff,
        ctx.tipline_service(),
        FollowService(ctx.sessions),
        ChatLanguages(ctx.sessions),
        answers_sent,
    )
    assert settings.token is not None  # build_application refuses to go on without one
    delivery = DeliveryWorker.for_bot(
        ctx.sessions,
        settings.token.get_secret_value(),
        settings.bot_api_url,
        settings.follow_messages_per_second,
        dt.timedelta(seconds=settings.follow_lease_seconds),
        Answers(
            lambda: application.update_processor.current_concurrent_updates,
            answers_sent,
            settings.rate_limit_per_second,
        ),
    )
    watch = ChangeWatch(ctx.sessions, since=service.built_from)
    keeper = IndexKeeper(service, watch, settings.index_poll_seconds, staff)
    receiver: WebhookServer | DurablePolling
    if webhook:
        from bot.tg import webhook as server

        health = Health(ctx.engine, keeper)
        receiver = server.WebhookServer(application, settings, health, ctx.sessions)
    else:
        receiver = DurablePolling(application, ctx.sessions)
    metrics = (
        MetricsServer(settings.metrics_listen, settings.metrics_port)
        if settings.metrics_port is not None and not webhook
        else None
    )

    follow(keeper, ctx.sessions)
    return Serving(application, keeper, receiver, metrics, delivery)


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
    """Take and answer updates until `stop` is set, then stop gracefully.

    Start-up may wait long (Telegram or the database unreachable, retried with back-off):
    `stop` interrupts it too, and whatever had started is stopped in reverse order.
    """
    # Exits run in reverse: stop taking updates, answer the queued ones, then shut down.
    async with AsyncExitStack() as stack:
        starting = asyncio.create_task(_start(stack, serving), name="start-up")
        stopped = asyncio.create_task(stop.wait(), name="stop signal")
        await asyncio.wait({starting, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            log.info("stopping while starting")
            await _cancel(starting)
        else:
            starting.result()  # a failure to start ends the process with its error
            await stopped
            log.info("stopping: answering the updates already received first")
        await _cancel(stopped)


async def _start(stack: AsyncExitStack, serving: Serving) -> None:
    application, keeper, receiver = serving.application, serving.keeper, serving.receiver
    if serving.metrics is not None:
        # First, so that a dashboard sees a process that cannot reach Telegram.
        await serving.metrics.start()
        stack.push_async_callback(serving.metrics.stop)
    await retry_telegram("connecting to Telegram", application.initialize)
    stack.push_async_callback(application.shutdown)
    post_init = application.post_init
    if post_init is not None:
        await retry_telegram("setting the command menus", lambda: post_init(application))
    await asyncio.to_thread(keeper.check)
    # What start-up made (the application, its clients) lives as long as the process: frozen,
    # neither the collector's passes nor the final collection at exit walk it again, which
    # took half a second of a stop.
    gc.freeze()
    stack.push_async_callback(_cancel, asyncio.create_task(keeper.run(), name="index"))
    stack.push_async_callback(_cancel, asyncio.create_task(serving.delivery.run(), name="outbox"))
    stack.push_async_callback(receiver.finish)
    await application.start()
    stack.push_async_callback(_stop_within_grace, application)
    if isinstance(receiver, DurablePolling):
        await receiver.start()
        stack.push_async_callback(receiver.stop_polling)
    else:
        await receiver.start()
        stack.push_async_callback(receiver.stop)
        await retry_telegram("setting the webhook", receiver.register)


async def _stop_within_grace(application: AnyApplication) -> None:
    """Stop the application, answering the updates in hand for up to GRACE_SECONDS; then
    abandon the rest, which the update inbox keeps for the next start."""
    stopping = asyncio.create_task(application.stop(), name="stopping")
    done, _ = await asyncio.wait({stopping}, timeout=GRACE_SECONDS)
    if not done:
        processor = application.update_processor
        assert isinstance(processor, LoggedUpdateProcessor)
        log.warning("stopping before every update received was answered: the rest wait")
        processor.abandon()
    await stopping


async def _cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
