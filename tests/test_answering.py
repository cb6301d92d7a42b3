"""Answering: the one limit on a question's length, whichever way it is asked."""

from sqlalchemy.orm import Session, sessionmaker

from bot.answering import AnswerService
from bot.card_cache import CardCache
from bot.matching import MAX_QUESTION_CHARS, Matcher


def test_a_question_is_read_up_to_the_limit_and_no_further(
    seeded: sessionmaker[Session],
) -> None:
    service = AnswerService(seeded.kw["bind"], Matcher(), CardCache(10))
    service.rebuild_index()
    name = " makiivka strike"
    within = "." * (MAX_QUESTION_CHARS - len(name)) + name
    beyond = "." * MAX_QUESTION_CHARS + name
    answered = service.ask(within).event
    assert answered is not None and answered.slug == "makiivka-strike"
    assert service.ask(beyond).event is None
    assert service.ask(beyond).question == "." * MAX_QUESTION_CHARS
    assert [c.slug for c in service.suggest(within)][:1] == ["makiivka-strike"]
    assert service.suggest(beyond) == ()
