"""Running the real claimbot Application against the local Bot API test server."""

import asyncio
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.app import build_application
from bot.runtime import Runtime
from config import load_settings
from tests.botapi import FakeTelegram, running


def copy_seeded_sqlite(template: Path, directory: Path) -> str:
    copy = directory / "bot.db"
    shutil.copyfile(template, copy)
    return f"sqlite:///{copy}"


@contextmanager
def running_bot(
    tg: FakeTelegram, database_url: str, **settings: Any
) -> Iterator[Application[Any, Any, Any, Any, Any, Any]]:
    """The bot, built exactly as `claimbot run` builds it, polling in a thread of its own.

    Tests then act as users through the server's blocking API.
    """
    config = load_settings(
        token=tg.token,
        bot_api_url=tg.base_url,
        bot_api_file_url=tg.base_file_url,
        database_url=database_url,
        **settings,
    )
    ctx = Runtime.from_settings(config)
    ctx.ensure_ready()
    answers = ctx.answer_service()
    application = build_application(config, answers, ctx.moderation_service(answers))
    started = threading.Event()
    stop: asyncio.Event | None = None
    loop: asyncio.AbstractEventLoop | None = None
    failure: list[BaseException] = []

    async def serve() -> None:
        nonlocal stop, loop
        stop, loop = asyncio.Event(), asyncio.get_running_loop()
        async with running(application, poll_timeout=1):
            # run_polling() would call post_init (the command menus); running() does not.
            if application.post_init is not None:
                await application.post_init(application)
            started.set()
            await stop.wait()

    def thread_main() -> None:
        try:
            asyncio.run(serve())
        except BaseException as error:  # surfaced to the test below
            failure.append(error)
            started.set()

    thread = threading.Thread(target=thread_main, name="claimbot-under-test", daemon=True)
    thread.start()
    assert started.wait(30), "the bot did not start"
    if failure:
        raise failure[0]
    try:
        yield application
    finally:
        if loop is not None and stop is not None:
            loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        ctx.engine.dispose()
    assert not failure, failure
