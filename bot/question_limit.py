"""How many questions one person may ask: a sliding window per user, with one warning.

Past the limit, the first question gets a short "slow down" reply and the rest none, until
the window has room again. Without it one person sending hundreds of messages would keep
the bot answering them for minutes (Telegram lets a bot send a chat about one message a
second), whatever else the bot does for others.
"""

import enum
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

# People remembered at once; the least recently active are forgotten first.
USERS_KEPT = 10_000


class Verdict(enum.Enum):
    ANSWER = "answer"
    WARN = "warn"  # over the limit: say so, once
    IGNORE = "ignore"  # over the limit, and told already


@dataclass
class _Window:
    asked: deque[float] = field(default_factory=deque)  # when answered questions came
    warned: bool = False


class QuestionLimit:
    """At most `limit` questions per user in any `window_seconds`; thread-safe."""

    def __init__(self, limit: int, window_seconds: float = 60.0) -> None:
        self._limit = limit
        self._window = window_seconds
        self._users: OrderedDict[int, _Window] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, user_id: int) -> Verdict:
        now = time.monotonic()
        with self._lock:
            window = self._users.pop(user_id, None) or _Window()
            self._users[user_id] = window  # now the most recently active
            if len(self._users) > USERS_KEPT:
                self._users.popitem(last=False)
            while window.asked and now - window.asked[0] >= self._window:
                window.asked.popleft()
            if len(window.asked) < self._limit:
                window.asked.append(now)
                window.warned = False
                return Verdict.ANSWER
            if window.warned:
                return Verdict.IGNORE
            window.warned = True
            return Verdict.WARN
