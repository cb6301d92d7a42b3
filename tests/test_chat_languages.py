"""The languages chats chose: stored once per chat, replaced, and cached for a short time."""

from sqlalchemy.orm import Session, sessionmaker

from bot.chat_languages import ChatLanguages
from db.chat_preferences import chat_languages
from db.engine import unit_of_work


def test_a_choice_is_stored_replaced_and_read_back(seeded: sessionmaker[Session]) -> None:
    languages = ChatLanguages(seeded)
    languages.choose(-100123, "uk")
    languages.choose(-100123, "ru")  # a second choice replaces the first
    languages.choose(42, "en")
    with unit_of_work(seeded) as session:
        assert chat_languages(session, [-100123, 42, 7]) == {-100123: "ru", 42: "en"}
    assert ChatLanguages(seeded).load([-100123, 7]) == {-100123: "ru", 7: None}


def test_choices_are_remembered_for_a_while_then_read_again(
    seeded: sessionmaker[Session],
) -> None:
    now = [0.0]
    here = ChatLanguages(seeded, ttl=30, clock=lambda: now[0])
    elsewhere = ChatLanguages(seeded)  # another replica
    assert here.from_memory([5]) is None  # never read: the caller queries
    assert here.load([5]) == {5: None}
    elsewhere.choose(5, "uk")
    now[0] = 29
    assert here.from_memory([5]) == {5: None}  # still what it read, without a query
    now[0] = 31
    assert here.from_memory([5]) is None  # too old: read again, and the new choice is seen
    assert here.load([5]) == {5: "uk"}
    here.choose(5, "ru")  # a choice made here is seen here at once
    assert here.from_memory([5]) == {5: "ru"}
