"""Print what recording questions for the moderators' figures costs per question.

    python tests/bench/question_records.py [BATCH]

Questions are recorded off the answering path in batches (`bot/tipline/recorder.py`); this
records 2,000 questions in batches of BATCH (default 100) into a throwaway SQLite database
with the seed data and prints the CPU time per question, and the same one question at a
time, as the recording did before batching.
"""

import sys
import tempfile
import time
from pathlib import Path

from bot.tipline.service import Limits, Question, TiplineService, new_question_id
from db.bootstrap import initialise
from db.engine import make_engine, make_session_factory

QUESTIONS = 2000


def questions(count: int) -> list[Question]:
    question = "how many died at Makiivka?"
    return [
        Question(new_question_id(), question, "private", "answer", "makiivka-strike")
        for _ in range(count)
    ]


def cpu_per_question(service: TiplineService, batch: int) -> float:
    started = time.process_time()
    for _ in range(QUESTIONS // batch):
        service.record_questions(questions(batch))
    return (time.process_time() - started) / QUESTIONS


def main(batch: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'claimbot.db'}")
        sessions = make_session_factory(engine)
        initialise(engine, sessions)
        service = TiplineService(sessions, Limits())
        service.record_questions(questions(1))  # warm up
        for size in (batch, 1):
            cost = cpu_per_question(service, size)
            print(f"batches of {size}: {cost * 1000:.3f} ms CPU per question")
        engine.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
