"""Print what loading an event's card and the event list costs in each language.

    python tests/bench/translated_cards.py [ROUNDS]

The bundled seed data is loaded into a throwaway SQLite database; every event's card is
loaded ROUNDS times (default 200) in English, Ukrainian and Russian, and the event list as
often. It prints the SQL statements one card load runs and the median time per card and
per list, so that the English path can be compared with the translated ones.
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from db.bootstrap import initialise
from db.cards import load_event_card
from db.engine import make_engine, make_session_factory, unit_of_work
from db.queries import list_events
from db.seed import load_seed
from db.vocabulary import LANGUAGES


def main(rounds: int) -> None:
    slugs = [e.slug for e in load_seed().events]
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'claimbot.db'}")
        sessions = make_session_factory(engine)
        initialise(engine, sessions)
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", count)
        print(f"{len(slugs)} seed events, {rounds} rounds, SQLite")
        print("language | statements per card | median per card | median per event list")
        for language in LANGUAGES:
            card_times, list_times = [], []
            statements.clear()
            with unit_of_work(sessions) as session:
                load_event_card(session, slugs[0], language)
            per_card = len(statements)
            for _ in range(rounds):
                with unit_of_work(sessions) as session:
                    started = time.perf_counter()
                    for slug in slugs:
                        load_event_card(session, slug, language)
                    card_times.append((time.perf_counter() - started) / len(slugs))
                    started = time.perf_counter()
                    list_events(session, language)
                    list_times.append(time.perf_counter() - started)
            print(
                f"{language} | {per_card} | {statistics.median(card_times) * 1000:.2f} ms | "
                f"{statistics.median(list_times) * 1000:.2f} ms"
            )
        engine.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
