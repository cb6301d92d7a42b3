"""Handled marks written as a process stops: the last ones must reach the update inbox
however busy the worker threads are, or the next process answers those updates again."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker
from telegram import Update

from bot.tg.handled_marks import HandledMarks
from bot.tg.update_processor import LoggedUpdateProcessor
from db.inbox import UpdateInbox
from tests.test_update_inbox import BOT, message


def test_marks_queued_behind_busy_threads_when_the_stop_comes_are_still_written(
    seeded: sessionmaker[Session],
) -> None:
    inbox = UpdateInbox(seeded, BOT)
    inbox.store([message(1)])
    threads_free = threading.Event()

    async def handle_then_stop() -> None:
        # One worker thread, kept busy: the marks' write waits in the executor's queue.
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(1))
        processor = LoggedUpdateProcessor(4)
        marks = HandledMarks(processor, seeded, inbox)
        marks.start()
        busy = asyncio.to_thread(threads_free.wait, 10)
        busy_task = asyncio.ensure_future(busy)
        await asyncio.sleep(0.05)

        async def answer() -> None:
            pass

        await processor.do_process_update(Update.de_json(message(1), None), answer())
        await asyncio.sleep(0.3)  # the write is queued behind the busy thread
        asyncio.get_running_loop().call_later(0.3, threads_free.set)
        await marks.finish()
        await busy_task

    asyncio.run(handle_then_stop())
    assert inbox.unhandled() == []
