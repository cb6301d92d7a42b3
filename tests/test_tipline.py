"""The users' loop below Telegram: grouping near-identical questions, several replicas
writing one inbox, retention, /forget and the keyed hash, on SQLite and PostgreSQL."""

import datetime as dt
import threading

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import LANGUAGES, is_language, translator
from bot.rendering import CARD_PART_LIMIT, telegram_length
from bot.tipline.grouping import folded, key_words, language_of, same_question
from bot.tipline.rendering import render_answer_found, render_inbox, render_stats
from bot.tipline.service import (
    INBOX_PAGE_SIZE,
    Asker,
    Limits,
    Question,
    TiplineService,
    TipOutcome,
    new_question_id,
)
from db.engine import make_engine, make_session_factory, unit_of_work
from db.models import AnswerFeedback, AskedQuestion, TiplineAsker, TiplineItem, utcnow
from db.tipline import user_hash
from db.tipline_stats import EventFeedback, Figures

MAKIIVKA = "how many died at Makiivka?"


def test_near_identical_questions_fold_to_one_and_others_do_not() -> None:
    first = folded("How many died in the Zorbville dam collapse?")
    assert same_question(folded("how many people died at Zorbville dam collapse??"), [(1, first)])
    assert same_question(folded("Скільки загинуло у Зорбвіль dam collapse"), [(1, first)]) is None
    assert same_question(folded("how many died in the Glorpton flood?"), [(1, first)]) is None
    # The most similar of several open items is the one.
    other = folded("Zorbville dam collapse damage to houses")
    assert (
        same_question(folded("zorbville dam collapse: how many died"), [(2, other), (1, first)])
        == 1
    )


@given(st.text(max_size=300))
def test_any_text_folds_and_groups_with_itself(text: str) -> None:
    key = folded(text)
    assert len(key) <= 1000
    assert same_question(key, [(7, key)]) == 7
    assert len(key_words(text)) <= 100


def test_language_is_guessed_from_the_letters() -> None:
    assert language_of("скільки загинуло в Макіївці") == "uk"
    assert language_of("сколько погибло в Макеевке") == "ru"
    assert language_of("ilu zginęło") == "pl"
    assert language_of("wie viele Tote gab es in Makijiwka? Grüße") == "de"
    assert language_of("how many died at Makiivka?") == "en"


def test_key_words_drop_question_words() -> None:
    assert key_words("How many died in the Zorbville dam collapse?") == (
        "died Zorbville dam collapse"
    )


def test_replicas_asking_at_once_count_one_item(seeded: sessionmaker[Session]) -> None:
    """Two processes (two engines) put the same question at once: one item, all askers."""
    url = seeded.kw["bind"].url.render_as_string(hide_password=False)
    engines = [make_engine(url) for _ in range(2)]
    services = [TiplineService(make_session_factory(e), Limits()) for e in engines]
    start = threading.Barrier(8)

    def ask(n: int) -> None:
        start.wait()
        question = f"how many died in the Quibble mine fire{'?' * (n % 3)}"
        services[n % 2].record_unanswered(
            Question(new_question_id(), question, "private", "no_match", None),
            Asker(1000 + n, 1000 + n, "en"),
        )

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for engine in engines:
        engine.dispose()
    with unit_of_work(seeded) as session:
        items = session.scalars(select(TiplineItem).where(TiplineItem.text.contains("Quibble")))
        assert [item.askers for item in items] == [8]
        assert session.scalar(select(func.count(AskedQuestion.id))) == 8


def test_closed_items_questions_and_feedback_go_after_the_retention_period(
    seeded: sessionmaker[Session],
) -> None:
    service = TiplineService(seeded, Limits(retention_days=90))
    service.record_questions([Question(1, MAKIIVKA, "private", "answer", "makiivka-strike")])
    service.record_unanswered(
        Question(2, "the Plonk fire toll", "private", "no_match", None), Asker(5, 5, "uk")
    )
    assert service.vote(5, "makiivka-strike", 1, up=True)
    assert service.tip("a Plonk video", None, Asker(6, 6, "en")).outcome == TipOutcome.TAKEN
    long_ago = utcnow() - dt.timedelta(days=91)
    with unit_of_work(seeded) as session:
        session.execute(update(AskedQuestion).values(asked_at=long_ago))
        session.execute(update(AnswerFeedback).values(at=long_ago))
        session.execute(
            update(TiplineItem)
            .where(TiplineItem.kind == "tip")
            .values(status="dismissed", closed_at=long_ago)
        )
    page = service.inbox(0)  # a moderator's look at the inbox purges what is due
    assert [item.text for item in page.items] == ["the Plonk fire toll"]  # still open: kept
    with unit_of_work(seeded) as session:
        assert session.scalar(select(func.count(AskedQuestion.id))) == 0
        assert session.scalar(select(func.count(AnswerFeedback.id))) == 0
        assert session.scalar(select(func.count(TiplineItem.id))) == 1


def test_forget_leaves_nothing_under_the_users_id_or_hash(seeded: sessionmaker[Session]) -> None:
    service = TiplineService(seeded, Limits())
    for n, asker in ((3, 7), (4, 8)):
        question = Question(n, "the Zap bridge toll" + "?" * n, "private", "no_match", None)
        service.record_unanswered(question, Asker(asker, asker, "ru"))
    service.vote(7, "makiivka-strike", 0, up=False)
    assert service.reason(7, "makiivka-strike", "o")
    forgotten = service.forget(7)
    assert (forgotten.items, forgotten.feedback) == (1, 1)
    with unit_of_work(seeded) as session:
        hashed = user_hash(session, 7)
        assert hashed != user_hash(session, 8)
        assert session.scalar(select(func.count()).where(TiplineAsker.user_hash == hashed)) == 0
        assert session.scalar(select(func.count()).where(TiplineAsker.user_id == 7)) == 0
        # The other asker's item stays, counted once now.
        assert session.scalar(select(TiplineItem.askers)) == 1


def test_a_batch_whose_id_is_taken_is_recorded_under_new_ids(
    seeded: sessionmaker[Session],
) -> None:
    service = TiplineService(seeded, Limits())
    first = Question(9, MAKIIVKA, "private", "answer", "makiivka-strike")
    service.record_questions([first])
    service.record_questions([first, Question(10, "strike", "group", "ambiguous", None)])
    with unit_of_work(seeded) as session:
        rows = session.execute(select(AskedQuestion.text, AskedQuestion.event_id)).all()
        assert len(rows) == 3 and sorted(text for text, _ in rows).count(MAKIIVKA) == 2
        assert sum(event_id is not None for _, event_id in rows) == 2


@given(st.text(min_size=0, max_size=500), st.sampled_from(LANGUAGES))
def test_the_answer_notice_leaves_room_for_any_first_page(question: str, language: str) -> None:
    """The notice above a card's first page (at most 3900 units) keeps the message within
    Telegram's 4096, whatever the question (astral characters count twice) and language."""
    assert is_language(language)
    notice = render_answer_found(translator(language), question)
    assert telegram_length(notice + "\n\n") <= 4096 - CARD_PART_LIMIT


def test_the_figures_fit_one_message_whatever_the_titles_and_questions() -> None:
    longest = "𝕏" * 200  # astral characters count twice
    figures = Figures(
        questions=10**9,
        outcomes={"answer": 10**9},
        feedback=[EventFeedback(longest, 10**6, 10**6)] * 10,
        top_events=[(longest, 10**9)] * 5,
        top_unanswered=[("&<" * 250, 10**6)] * 5,
        tips=10**6,
    )
    for days in (1, 7, 30):
        assert telegram_length(render_stats(figures, days)) <= 4096


def test_an_inbox_page_fits_one_message_whatever_the_tips() -> None:
    items = [
        TiplineItem(id=2**31 - n, kind=kind, text="𝕏" * 2000, origin="&" * 300, askers=10**6)
        for n, kind in enumerate(["tip", "question"] * 3)
    ][:INBOX_PAGE_SIZE]
    assert telegram_length(render_inbox(items, 99, 100, 10**6)) <= 4096
