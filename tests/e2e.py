"""Running the real claimbot Application against the local Bot API test server."""

import asyncio
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.runtime import Runtime
from bot.tg.serve import assemble, serve_until
from config import load_settings
from tests.botapi import FakeTelegram


def copy_seeded_sqlite(template: Path, directory: Path) -> str:
    copy = directory / "bot.db"
    shutil.copyfile(template, copy)
    return f"sqlite:///{copy}"


@contextmanager
def running_bot(
    tg: FakeTelegram, database_url: str, **settings: Any
) -> Iterator[Application[Any, Any, Any, Any, Any, Any]]:
    """The bot, built and served exactly as `claimbot run` does, in a thread of its own.

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
    serving = assemble(ctx, ctx.answer_service(), webhook=False)
    stop: asyncio.Event | None = None
    loop: asyncio.AbstractEventLoop | None = None
    failure: list[BaseException] = []

    async def serve() -> None:
        nonlocal stop, loop
        stop, loop = asyncio.Event(), asyncio.get_running_loop()
        await serve_until(stop, serving)

    def thread_main() -> None:
        try:
            asyncio.run(serve())
        except BaseException as error:  # surfaced to the test below
            failure.append(error)

    thread = threading.Thread(target=thread_main, name="claimbot-under-test", daemon=True)
    thread.start()
    tg.wait_until(lambda: True if tg.long_polls_waiting or failure else None, 30, "the bot")
    if failure:
        raise failure[0]
    try:
        yield serving.application
    finally:
        if loop is not None and stop is not None:
            loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        ctx.engine.dispose()
    assert not failure, failure
