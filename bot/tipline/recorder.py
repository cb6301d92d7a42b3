"""Questions recorded in batches, off the answering path: a question's record waits at most
`delay` seconds and then goes in with the others of that moment in one transaction, so the
figures cost a fraction of a database write per question instead of one each.

A batch lost with its process (killed within `delay` of the questions) costs the figures
those questions, nothing else: the answers have gone out.
"""

import asyncio
import logging

from sqlalchemy.exc import SQLAlchemyError

from bot.tipline.service import Question, TiplineService

log = logging.getLogger(__name__)

BATCH_DELAY_SECONDS = 0.25


class QuestionRecorder:
    """Used on the event loop only."""

    def __init__(self, service: TiplineService, delay: float = BATCH_DELAY_SECONDS) -> None:
        self.service = service
        self.delay = delay
        self._waiting: list[Question] = []
        self._flushing: asyncio.Task[None] | None = None
        self._writing = asyncio.Lock()

    def add(self, question: Question) -> None:
        self._waiting.append(question)
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush_later())

    async def _flush_later(self) -> None:
        # Questions that came while a batch was being written go in the next one.
        while self._waiting:
            await asyncio.sleep(self.delay)
            await self.flush()

    async def flush(self) -> None:
        """Write what is waiting now, after any batch being written: then every question
        added before the call is in the database (a button may need it; a stop does)."""
        async with self._writing:
            batch, self._waiting = self._waiting, []
            if not batch:
                return
            try:
                await asyncio.to_thread(self.service.record_questions, batch)
            except SQLAlchemyError as error:
                # The answers matter more than the figures: they went out all the same.
                log.warning("%d questions not recorded: %s", len(batch), type(error).__name__)
