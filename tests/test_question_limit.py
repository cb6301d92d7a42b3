"""The per-user limit on questions: a sliding window, one warning, then silence."""

import time

from bot.question_limit import QuestionLimit, Verdict


def test_past_the_limit_one_warning_then_nothing_until_the_window_has_room() -> None:
    limit = QuestionLimit(3, window_seconds=0.5)
    assert [limit.take(1) for _ in range(6)] == [
        Verdict.ANSWER,
        Verdict.ANSWER,
        Verdict.ANSWER,
        Verdict.WARN,
        Verdict.IGNORE,
        Verdict.IGNORE,
    ]
    assert limit.take(2) == Verdict.ANSWER  # others are not held back
    time.sleep(0.6)
    assert limit.take(1) == Verdict.ANSWER
    assert [limit.take(1) for _ in range(3)] == [Verdict.ANSWER, Verdict.ANSWER, Verdict.WARN]
