"""Callback data: what the bot sends decodes back, within 64 bytes; anything else is refused."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.i18n import LANGUAGES
from bot.tg import callbacks
from bot.tg.callbacks import Prefix

FUZZ = settings(max_examples=300, derandomize=True, deadline=None)
slugs = st.from_regex(r"[a-z0-9]{1,20}(-[a-z0-9]{1,12}){0,3}", fullmatch=True).filter(
    lambda s: len(s) <= 60
)
# Every event slug the data sets allow, up to the longest.
any_slugs = st.from_regex(r"[a-z0-9]+(-[a-z0-9]+)*", fullmatch=True).filter(lambda s: len(s) <= 60)
longest_slugs = st.from_regex(r"[a-z0-9]{20}-[a-z0-9]{19}-[a-z0-9]{19}", fullmatch=True)
pages = st.integers(min_value=0, max_value=2**31 - 1)
PAGED_BUTTONS = [
    (callbacks.card_page, Prefix.CARD_PAGE),
    (callbacks.page_chooser, Prefix.PAGE_CHOOSER),
    (callbacks.about_page, Prefix.ABOUT_PAGE),
    (callbacks.assessments_page, Prefix.ASSESSMENTS_PAGE),
]
ids = st.integers(min_value=1, max_value=2**31 - 1)


def decode_all(data: str | None) -> list[object]:
    """Every decoder's view of the data: each returns a value or None, never raises."""
    return [
        callbacks.prefix_of(data),
        callbacks.parse_slug(data, Prefix.SHOW_EVENT),
        callbacks.parse_slug(data, Prefix.OPEN_EVENT),
        *(callbacks.parse_card_page(data, p) for _, p in PAGED_BUTTONS),
        *(callbacks.parse_number(data, p) for p in Prefix),
        callbacks.parse_form_answer(data),
        callbacks.parse_history_page(data),
        callbacks.parse_feedback(data, Prefix.FEEDBACK),
        callbacks.parse_feedback(data, Prefix.FEEDBACK_REASON),
        callbacks.parse_inbox_action(data),
        callbacks.parse_language(data),
    ]


def test_card_page_buttons_round_trip() -> None:
    data = callbacks.card_page("makiivka-strike", 2)
    assert callbacks.parse_card_page(data) == callbacks.CardPage("makiivka-strike", 2)
    # The longest slug (60 characters) fits with page 100 and the largest page there is.
    for page in (100, 2**31 - 1):
        data = callbacks.card_page("s" * 60, page)
        assert len(data.encode()) <= callbacks.CALLBACK_DATA_LIMIT
        assert callbacks.parse_card_page(data) == callbacks.CardPage("s" * 60, page)


@FUZZ
@given(st.one_of(any_slugs, longest_slugs), pages)
def test_every_paged_button_fits_64_bytes_for_any_slug_and_page(slug: str, page: int) -> None:
    for encode, prefix in PAGED_BUTTONS:
        data = encode(slug, page)
        assert len(data.encode()) <= callbacks.CALLBACK_DATA_LIMIT
        assert callbacks.parse_card_page(data, prefix) == callbacks.CardPage(slug, page)
        assert callbacks.matches(prefix)(data)
        others = [p for _, p in PAGED_BUTTONS if p != prefix]
        assert all(callbacks.parse_card_page(data, other) is None for other in others)
        # Saying the language of the reply it is under, it still fits and means the same.
        assert callbacks.language_of_button(data) is None
        for language in LANGUAGES:
            tagged = callbacks.in_language(data, language)
            assert len(tagged.encode()) <= callbacks.CALLBACK_DATA_LIMIT
            assert callbacks.parse_card_page(tagged, prefix) == callbacks.CardPage(slug, page)
            assert callbacks.matches(prefix)(tagged)
            assert callbacks.language_of_button(tagged) == language


@pytest.mark.parametrize(
    "data",
    [
        "p:",
        "p:makiivka-strike",
        "px:makiivka-strike",
        "p1:",
        "p99999999999:abc",  # a page past the database's integers
        "p1:" + "~" * 49,  # more than any slug packs into
        "p1:x y",  # a space is no packed character
    ],
)
def test_malformed_page_buttons_are_refused(data: str) -> None:
    assert callbacks.parse_card_page(data) is None


@pytest.mark.parametrize(
    ("data", "prefix"),
    [
        ("mk:²", Prefix.SAVE),
        ("mk:99999999999999999999999", Prefix.SAVE),
        ("mn:-1", Prefix.CANCEL),
        ("ev:²", Prefix.EVENTS_PAGE),
        ("x:³", Prefix.EXAMPLE),
        ("", Prefix.EVENTS_PAGE),
        ("ev:" + "1" * 70, Prefix.EVENTS_PAGE),
    ],
)
def test_forged_and_truncated_numbers_are_refused(data: str, prefix: Prefix) -> None:
    assert callbacks.parse_number(data, prefix) is None


@pytest.mark.parametrize("data", ["mh:c:²:1", "mh:c:1", "mh:z:1:1", "mh:a:0:0", "mh:e:1:1:1"])
def test_forged_history_buttons_are_refused(data: str) -> None:
    assert callbacks.parse_history_page(data) is None


def test_callback_data_over_64_bytes_is_refused() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        callbacks.show_event("x" * 63)


def test_handlers_match_their_own_prefix_only() -> None:
    assert callbacks.matches(Prefix.EVENTS_PAGE)("ev:²")  # its handler answers the forgery
    assert not callbacks.matches(Prefix.EVENTS_PAGE)("e:ev")
    assert callbacks.matches(Prefix.CARD_PAGE)(callbacks.card_page("makiivka-strike", 3))
    assert not callbacks.matches(Prefix.CARD_PAGE)(callbacks.page_chooser("makiivka-strike", 3))
    assert not callbacks.matches(*Prefix)("")


@FUZZ
@given(slugs, st.integers(min_value=0, max_value=99))
def test_user_buttons_round_trip_within_64_bytes(slug: str, page: int) -> None:
    for data in (callbacks.show_event(slug), callbacks.open_event(slug)):
        assert len(data.encode()) <= callbacks.CALLBACK_DATA_LIMIT
    assert callbacks.parse_slug(callbacks.show_event(slug), Prefix.SHOW_EVENT) == slug
    assert callbacks.parse_slug(callbacks.open_event(slug), Prefix.OPEN_EVENT) == slug
    assert callbacks.parse_slug(callbacks.show_event(slug), Prefix.OPEN_EVENT) is None
    paged = callbacks.card_page(slug, page)
    assert callbacks.parse_card_page(paged) == callbacks.CardPage(slug, page)
    assert callbacks.parse_number(callbacks.events_page(page), Prefix.EVENTS_PAGE) == page
    assert callbacks.parse_number(callbacks.example_question(page), Prefix.EXAMPLE) == page
    for language in LANGUAGES:
        for data, prefix in (
            (callbacks.show_event(slug), Prefix.SHOW_EVENT),
            (callbacks.open_event(slug), Prefix.OPEN_EVENT),
        ):
            tagged = callbacks.in_language(data, language)
            assert len(tagged.encode()) <= callbacks.CALLBACK_DATA_LIMIT
            assert callbacks.parse_slug(tagged, prefix) == slug
            assert callbacks.language_of_button(tagged) == language
        tagged = callbacks.in_language(callbacks.events_page(page), language)
        assert callbacks.parse_number(tagged, Prefix.EVENTS_PAGE) == page
        tagged = callbacks.in_language(callbacks.example_question(page), language)
        assert callbacks.parse_number(tagged, Prefix.EXAMPLE) == page
        # Buttons of other kinds do not say it.
        choice = callbacks.choose_language(language)
        assert callbacks.in_language(choice, language) == choice


def test_language_buttons_round_trip_and_forgeries_are_refused() -> None:
    for language in LANGUAGES:
        assert callbacks.parse_language(callbacks.choose_language(language)) == language
    for forged in ("l:de", "l:UK", "l:", "l:uk-UA", "e:uk", None):
        assert callbacks.parse_language(forged) is None


@FUZZ
@given(st.one_of(any_slugs, longest_slugs))
def test_follow_buttons_round_trip_within_64_bytes_for_any_slug(slug: str) -> None:
    for encode, prefix, other in (
        (callbacks.follow, Prefix.FOLLOW, Prefix.UNFOLLOW),
        (callbacks.unfollow, Prefix.UNFOLLOW, Prefix.FOLLOW),
    ):
        data = encode(slug)
        assert len(data.encode()) <= callbacks.CALLBACK_DATA_LIMIT
        assert callbacks.parse_slug(data, prefix) == slug
        assert callbacks.parse_slug(data, other) is None
        assert callbacks.matches(prefix)(data) and not callbacks.matches(other)(data)


@FUZZ
@given(ids, st.integers(min_value=1, max_value=10**6), st.sampled_from([None, "claim", "event"]))
def test_moderator_buttons_round_trip_within_64_bytes(
    pending: int, page: int, entity: str | None
) -> None:
    assert callbacks.parse_number(callbacks.save_pending(pending), Prefix.SAVE) == pending
    assert callbacks.parse_number(callbacks.cancel_pending(pending), Prefix.CANCEL) == pending
    assert callbacks.parse_number(callbacks.save_pending(pending), Prefix.CANCEL) is None
    entity_id = pending if entity else None
    data = callbacks.history_page(entity, entity_id, page)
    assert len(data.encode()) <= callbacks.CALLBACK_DATA_LIMIT
    assert callbacks.parse_history_page(data) == callbacks.HistoryButton(entity, entity_id, page)


@FUZZ
@given(
    st.integers(min_value=0, max_value=999),
    st.one_of(st.none(), st.from_regex(r"[a-z0-9_-]{1,55}", fullmatch=True)),
)
def test_form_answers_round_trip(step: int, value: str | None) -> None:
    data = callbacks.form_answer(step, value)
    answer = callbacks.parse_form_answer(data)
    assert answer is not None
    assert answer.step == step
    assert answer.value == (None if value == callbacks.SKIP else value)


@FUZZ
@given(
    st.one_of(
        st.none(),
        st.text(alphabet=st.characters(blacklist_categories=())),
        st.builds(
            lambda p, rest: p + ":" + rest,
            st.sampled_from([*(str(p) for p in Prefix), "p7", "g12", "p", "m"]),
            st.text(alphabet=st.characters(blacklist_categories=()), max_size=70),
        ),
    )
)
def test_arbitrary_data_never_raises(data: str | None) -> None:
    decode_all(data)
    if data is not None and len(data.encode("utf-8", "surrogatepass")) > 64:
        assert decode_all(data) == [None] * len(decode_all(None))


def test_none_of_these_round_trips() -> None:
    data = callbacks.none_of_these(0)
    assert callbacks.parse_number(data, Prefix.NONE_OF_THESE) == 0
    data = callbacks.none_of_these(2**31 - 1)
    assert callbacks.parse_number(data, Prefix.NONE_OF_THESE) == 2**31 - 1
    assert callbacks.parse_number("n:", Prefix.NONE_OF_THESE) is None
    assert callbacks.parse_number("n:x", Prefix.NONE_OF_THESE) is None


@given(
    st.one_of(any_slugs, longest_slugs),
    st.integers(min_value=0, max_value=2**31 - 1),
    st.sampled_from(list(callbacks.FeedbackVote) + list(callbacks.FeedbackReason)),
)
def test_feedback_buttons_fit_and_round_trip(slug: str, question: int, choice: str) -> None:
    """👍/👎 and the reasons after 👎 name the question and the event, within 64 bytes,
    for the longest slug and the largest question id."""
    if choice in set(callbacks.FeedbackVote):
        data, prefix = (
            callbacks.feedback(callbacks.FeedbackVote(choice), question, slug),
            Prefix.FEEDBACK,
        )
    else:
        reason = callbacks.FeedbackReason(choice)
        data, prefix = callbacks.feedback_reason(reason, question, slug), Prefix.FEEDBACK_REASON
    assert len(data.encode()) <= callbacks.CALLBACK_DATA_LIMIT
    assert callbacks.parse_feedback(data, prefix) == callbacks.Feedback(choice, question, slug)
    other = Prefix.FEEDBACK_REASON if prefix == Prefix.FEEDBACK else Prefix.FEEDBACK
    assert callbacks.parse_feedback(data, other) is None


@given(
    st.sampled_from(list(callbacks.InboxAction)),
    st.integers(min_value=1, max_value=2**31 - 1),
    st.integers(min_value=0, max_value=2**31 - 1),
)
def test_inbox_buttons_fit_and_round_trip(
    action: callbacks.InboxAction, item: int, argument: int
) -> None:
    data = callbacks.inbox_action(action, item, argument)
    assert len(data.encode()) <= callbacks.CALLBACK_DATA_LIMIT
    assert callbacks.parse_inbox_action(data) == callbacks.InboxButton(action, item, argument)
    assert callbacks.parse_number(callbacks.inbox_item(item), Prefix.INBOX_ITEM) == item
    assert callbacks.parse_inbox_action(f"ix:q:{item}:{argument}") is None
