"""Print how long each page of an event's card is, as Telegram counts it.

    python tests/bench/card_size.py [QUESTION ...]

The bundled seed data is loaded into a throwaway SQLite database; for each question (by
default the Makiivka and Kramatorsk questions of the README) it prints the length of every
page of the card the bot sends (text after parsing, in UTF-16 units, what Telegram limits
to 4,096) and of its About and Assessments pages.
"""

import sys
import tempfile
from pathlib import Path

from bot.answering import AnswerService
from bot.card_cache import CardCache
from bot.card_notes import render_assessments, render_event_about
from bot.matching import Matcher
from bot.rendering import telegram_length
from db.bootstrap import initialise
from db.engine import make_engine, make_session_factory

QUESTIONS = ("how many died at Makiivka?", "Were 600 Ukrainian soldiers killed in Kramatorsk?")


def main(questions: list[str]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'claimbot.db'}")
        sessions = make_session_factory(engine)
        initialise(engine, sessions)
        service = AnswerService(engine, Matcher(), CardCache(len(questions)))
        service.rebuild_index()
        for question in questions:
            answer = service.ask(question)
            if answer.event is None:
                print(f"{question!r}: no card ({answer.outcome.value})")
                continue
            pages = [telegram_length(page) for page in answer.pages()]
            about = [telegram_length(page) for page in render_event_about(answer.event)]
            assessed = [telegram_length(page) for page in render_assessments(answer.event)]
            print(f"{question!r} -> {answer.event.slug}")
            print(f"  card pages: {pages} (first page: {pages[0]:,} characters)")
            print(f"  about pages: {about}; assessments pages: {assessed}")
        engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:] or list(QUESTIONS))
