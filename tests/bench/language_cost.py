"""What choosing the reply language costs a message: `python tests/bench/language_cost.py`.

Times, on a temporary SQLite database, a chat's choice read from the per-process cache (the
common case), read from the database (once per chat every 30 s), and the question's letters
read for its language; prints microseconds per message (CPU time; best of 5 rounds).
"""

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bot.chat_languages import ChatLanguages
from bot.i18n import reply_language
from db.engine import make_engine, make_session_factory
from db.migrate import upgrade

ROUNDS, PER_ROUND = 5, 2000


def per_call(action: Callable[[int], object]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for n in range(PER_ROUND):
            action(n)
        best = min(best, time.process_time() - started)
    return best / PER_ROUND * 1e6


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'bench.db'}")
        upgrade(engine)
        languages = ChatLanguages(make_session_factory(engine), ttl=3600)
        for chat in range(0, PER_ROUND, 2):
            languages.choose(chat, "uk")
        question = "скільки загинуло в Макіївці під час удару на Новий рік?"
        print(f"cached choice: {per_call(lambda n: languages.from_memory([n, n + 1])):.1f} µs")
        print(f"choice from the database: {per_call(lambda n: languages.load([n, n + 1])):.1f} µs")
        print(
            f"question's letters: {per_call(lambda n: reply_language(None, question, 'en')):.1f} µs"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
