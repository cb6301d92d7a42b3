"""The languages chats chose for the bot's replies (/language), kept briefly in memory.

A reply needs its chat's choice (and in a group, the asker's own), so each process keeps the
choices it read for `TTL` seconds: most messages need no query, and the rest one query by
primary key. A choice made through this process is seen at once; one made through another
replica, within `TTL`.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection

from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import Language, language_of
from db.chat_preferences import chat_languages, set_chat_language
from db.engine import unit_of_work

TTL = 30.0
SIZE = 100_000  # chats remembered; those read longest ago go first


class ChatLanguages:
    """The chosen language of chats; safe to use from several threads."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        ttl: float = TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._clock = clock
        # chat id -> (when read, its choice or None for none)
        self._known: OrderedDict[int, tuple[float, Language | None]] = OrderedDict()
        self._lock = threading.Lock()

    def from_memory(self, chat_ids: Collection[int]) -> dict[int, Language | None] | None:
        """The choices of these chats if all are in memory and fresh, else None; no query."""
        now = self._clock()
        found: dict[int, Language | None] = {}
        with self._lock:
            for chat_id in chat_ids:
                known = self._known.get(chat_id)
                if known is None or now - known[0] > self._ttl:
                    return None
                found[chat_id] = known[1]
        return found

    def load(self, chat_ids: Collection[int]) -> dict[int, Language | None]:
        """The choices of these chats, read from the database (and remembered)."""
        with unit_of_work(self._sessions) as session:
            stored = chat_languages(session, chat_ids)
        found = {chat_id: language_of(stored.get(chat_id)) for chat_id in chat_ids}
        self._remember(found)
        return found

    def choose(self, chat_id: int, language: Language) -> None:
        with unit_of_work(self._sessions) as session:
            set_chat_language(session, chat_id, language)
        self._remember({chat_id: language})

    def _remember(self, choices: dict[int, Language | None]) -> None:
        now = self._clock()
        with self._lock:
            for chat_id, language in choices.items():
                self._known[chat_id] = (now, language)
                self._known.move_to_end(chat_id)
            while len(self._known) > SIZE:
                self._known.popitem(last=False)
