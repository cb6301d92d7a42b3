"""Every message a card makes fits Telegram whatever the data holds (issue 11, item 2).

Events are generated with every field at the data set's maximum length (and text of
astral characters, two UTF-16 units each), then every page of the card, its About and
Assessments pages and the inline-mode card are checked against Telegram's limits, and
every button's callback data against its 64 bytes. Fixed seed, small budget.
"""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from bot.answering import Answer
from bot.card import render_card, render_compact_card
from bot.card_notes import render_assessments, render_event_about
from bot.i18n import LANGUAGES, Language, translator
from bot.matching import Decision
from bot.rendering import CARD_PART_LIMIT, TELEGRAM_MESSAGE_LIMIT, telegram_length
from bot.tg.callbacks import CALLBACK_DATA_LIMIT, about_page
from bot.tg.handlers.user_keyboards import Rows, answer_buttons, side_page_buttons
from db.cards import load_event_card
from db.engine import unit_of_work
from db.limits import (
    EVENT_SLUG_MAX,
    EVENT_SUMMARY_MAX,
    FIGURE_WORDING_MAX,
    HEADLINE_MAX,
    RATIONALE_MAX,
    REASON_MAX,
    SHORT_NAME_MAX,
)
from db.queries import (
    AppearanceView,
    AssessmentView,
    ClaimView,
    DocumentView,
    EventCard,
    RelatedEventView,
    SourceView,
    list_events,
)
from db.vocabulary import (
    Basis,
    DatePrecision,
    Lifecycle,
    Metric,
    Qualifier,
    Relation,
    Side,
    SourceKind,
    VerificationStatus,
)
from tests.test_rendering import assert_valid_telegram_html

NAME, SHORT_TEXT, URL = 200, 500, 2000
DAY = dt.date(2023, 1, 1)
AT = dt.datetime(2023, 1, 9, tzinfo=dt.UTC)

# Characters that stress the limits: two UTF-16 units each, or escaped to five bytes.
letters = st.sampled_from(["𝐀", "😀", "&", "<", "a", "é", " "])


def text(length: int) -> st.SearchStrategy[str]:
    """Text of exactly `length` characters, never blank: a short drawn run repeated."""
    return st.text(letters, min_size=1, max_size=8).map(lambda run: ("x" + run * length)[:length])


def url(length: int = URL) -> st.SearchStrategy[str]:
    return st.just("https://example.org/" + "a" * (length - 20))


@st.composite
def documents(draw: st.DrawFn, key: str) -> DocumentView:
    return DocumentView(
        key,
        draw(text(NAME)),
        draw(text(HEADLINE_MAX)),
        draw(st.none() | text(HEADLINE_MAX)),
        DAY,
        draw(url()),
    )


@st.composite
def claims(draw: st.DrawFn, number: int, docs: list[DocumentView]) -> ClaimView:
    claimant = SourceView(
        draw(text(NAME)), SourceKind.OFFICIAL, Side.UNKNOWN, draw(text(SHORT_NAME_MAX))
    )
    appearance = AppearanceView(
        draw(text(NAME)),
        draw(text(NAME)),
        draw(text(SHORT_TEXT)),
        draw(url()),
        draw(text(SHORT_TEXT)),
        DAY,
        draw(text(SHORT_TEXT)),
        draw(text(FIGURE_WORDING_MAX)),
        draw(st.sampled_from(docs)),
    )
    assessment = AssessmentView(
        VerificationStatus.FALSE,
        draw(text(RATIONALE_MAX)),
        draw(text(REASON_MAX)),
        draw(text(NAME)),
        tuple(draw(st.lists(url(), min_size=0, max_size=5))),
        tuple(d.key for d in docs),
        draw(text(NAME)),
        AT,
    )
    qualifier = draw(st.sampled_from([Qualifier.VAGUE, Qualifier.RANGE, None]))
    return ClaimView(
        id=number,
        key=f"c{number}",
        claimant=claimant,
        metric=draw(st.sampled_from(list(Metric))),
        subject=draw(text(SHORT_TEXT)),
        qualifier=qualifier,
        low=10**9 - 1 if qualifier == Qualifier.RANGE else None,
        high=10**9 if qualifier == Qualifier.RANGE else None,
        wording=draw(text(SHORT_TEXT)) if qualifier else None,
        summary=draw(text(SHORT_TEXT)),
        quote=draw(text(SHORT_TEXT)),
        stated_on=DAY,
        basis=Basis.UNKNOWN,
        # Every claim revises the one before it: one long chain.
        supersedes_id=number - 1 if number > 1 and draw(st.booleans()) else None,
        lifecycle=Lifecycle.SUPERSEDED,
        status=VerificationStatus.FALSE,
        appearances=(appearance,) * draw(st.integers(1, 6)),
        assessments=(assessment,) * draw(st.integers(1, 4)),
    )


@st.composite
def events(draw: st.DrawFn) -> EventCard:
    docs = [draw(documents(f"doc-{n}")) for n in range(draw(st.integers(1, 6)))]
    count = draw(st.integers(1, 8))
    related = RelatedEventView("r" * EVENT_SLUG_MAX, draw(text(NAME)), Relation.RELATED, True)
    return EventCard(
        slug="s" * EVENT_SLUG_MAX,
        title=draw(text(NAME)),
        summary=draw(text(EVENT_SUMMARY_MAX)),
        place=draw(text(NAME)),
        region=draw(text(NAME)),
        country=draw(text(NAME)),
        start_date=DAY,
        end_date=DAY + dt.timedelta(days=3),
        date_precision=DatePrecision.DAY,
        date_note=draw(text(SHORT_TEXT)),
        claims=tuple(draw(claims(n, docs)) for n in range(1, count + 1)),
        related=(related,) * draw(st.integers(0, 10)),
        documents=tuple(docs),
    )


def assert_sendable(message: str) -> None:
    assert_valid_telegram_html(message)
    assert telegram_length(message) <= TELEGRAM_MESSAGE_LIMIT


def assert_buttons_fit(rows: Rows) -> None:
    for row in rows:
        for _text, data in row:
            assert len(data.encode()) <= CALLBACK_DATA_LIMIT


@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)
@given(events(), st.sampled_from(LANGUAGES))
def test_every_message_of_a_card_at_the_fields_maxima_fits_telegram(
    card: EventCard, language: Language
) -> None:
    # Labels grow in translation: every language's card must fit.
    tr = translator(language)
    pages = render_card(card, tr=tr)
    assert pages
    about, assessments = render_event_about(card, tr), render_assessments(card, tr)
    compact = render_compact_card(card, "b" * 32, tr)
    for message in [*pages, *about, *assessments, compact]:
        assert_sendable(message)
    answer = Answer("q", Decision.ANSWER, card, (), tuple(pages), language)
    for page in range(len(pages)):
        assert_buttons_fit(answer_buttons(answer, page))
    assert_buttons_fit(side_page_buttons(tr, card.slug, len(about) - 1, len(about), about_page))


def test_every_seed_event_fits_telegram_in_every_language(
    seeded: sessionmaker[Session],
) -> None:
    # Labels grow in translation ("Present at the site" is "Находились на месте").
    with unit_of_work(seeded) as session:
        cards = [load_event_card(session, event.slug) for event in list_events(session)]
    for language in LANGUAGES:
        tr = translator(language)
        for card in cards:
            assert card is not None
            pages = render_card(card, tr=tr)
            assert telegram_length(pages[0]) <= CARD_PART_LIMIT
            about, assessments = render_event_about(card, tr), render_assessments(card, tr)
            for message in [*pages, *about, *assessments, render_compact_card(card, "b" * 32, tr)]:
                assert_sendable(message)


def test_a_card_of_hundreds_of_pages_shows_every_claim_and_its_buttons_fit() -> None:
    claimant = SourceView("M" * NAME, SourceKind.OFFICIAL, Side.RUSSIA)
    many = tuple(
        ClaimView(
            n,
            f"c{n}",
            claimant,
            Metric.OTHER,
            None,
            None,
            None,
            None,
            None,
            "s" * 500,
            "q",
            None,
            Basis.UNKNOWN,
            None,
            Lifecycle.CURRENT,
            VerificationStatus.UNVERIFIED,
            (),
        )
        for n in range(1, 800)
    )
    card = EventCard(
        "s" * EVENT_SLUG_MAX,
        "T",
        "S",
        "P",
        None,
        None,
        None,
        None,
        DatePrecision.DAY,
        None,
        many,
        (),
    )
    pages = render_card(card)
    assert len(pages) > 100
    assert sum(page.count("<b>" + "M" * NAME) for page in pages) == len(many)
    answer = Answer("q", Decision.ANSWER, card, (), tuple(pages))
    for page in (0, 99, len(pages) - 1):
        assert_buttons_fit(answer_buttons(answer, page))
