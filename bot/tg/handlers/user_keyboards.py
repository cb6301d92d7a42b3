"""The buttons under users' replies: card pages and page jumps, candidate events, related
events, 👍/👎 on a card, the event list's pages. Telegram objects are made only at the
edge (`as_markup`)."""

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.answering import Answer
from bot.card import has_assessments
from bot.follow_rendering import FOLLOW_BUTTON, UNFOLLOW_BUTTON
from bot.i18n import Language, Tr, translator
from bot.matching import Candidate, Decision
from bot.public_urls import event_url
from bot.tg import callbacks
from bot.tg.callbacks import FeedbackVote
from bot.tipline.rendering import THUMBS_DOWN, THUMBS_UP
from bot.user_rendering import (
    ABOUT_BUTTON,
    ASSESSMENTS_BUTTON,
    BACK_TO_CLAIMS_BUTTON,
    BACK_TO_PAGE_BUTTON,
    BROWSE_BUTTON,
    MORE_PAGES_BUTTON,
    NEXT_BUTTON,
    NONE_OF_THESE_BUTTON,
    OPEN_IN_BROWSER_BUTTON,
    PREVIOUS_BUTTON,
    button_text,
    page_number_button,
    related_button,
)

MAX_CANDIDATE_BUTTONS = 5
PAGE_NUMBERS_PER_ROW = 6
# The page chooser shows every page of a card this long, else every 2nd, 5th, 10th, 20th...
MAX_CHOSEN_PAGES = 30


# A button as (text, callback data): built as plain tuples, made into PTB's objects only
# for the calls that take them. A card's first page is sent with the Bot API's JSON form
# directly: PTB's button objects cost half as much CPU as matching the question.
Button = tuple[str, str]
Rows = list[list[Button]]


class Link(NamedTuple):
    """A button that opens a web page instead of sending callback data."""

    text: str
    url: str


def as_markup(rows: Rows) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b[0], url=b[1])
                if isinstance(b, Link)
                else InlineKeyboardButton(b[0], callback_data=b[1])
                for b in row
            ]
            for row in rows
        ]
    )


def as_json(rows: Rows) -> dict[str, Any] | None:
    """The buttons as the Bot API takes them, or None for no buttons."""
    if not rows:
        return None
    return {
        "inline_keyboard": [
            [
                {"text": b[0], "url": b[1]}
                if isinstance(b, Link)
                else {"text": b[0], "callback_data": b[1]}
                for b in row
            ]
            for row in rows
        ]
    }


def in_language(rows: Rows, language: Language) -> Rows:
    """The buttons, saying the language of the reply they are under (`callbacks.TAGGED`)."""
    return [
        [b if isinstance(b, Link) else (b[0], callbacks.in_language(b[1], language)) for b in row]
        for row in rows
    ]


def navigation(tr: Tr, page: int, pages: int, data: Callable[[int], str]) -> Rows:
    """A row of ◀ Previous and Next ▶ buttons (those that lead somewhere), or none."""
    row = []
    if page > 0:
        row.append((tr.gettext(PREVIOUS_BUTTON), data(page - 1)))
    if page < pages - 1:
        row.append((tr.gettext(NEXT_BUTTON), data(page + 1)))
    return [row] if row else []


def page_jumps(page: int, pages: int, go: Callable[[int], str], choose: str) -> Rows:
    """A row like « 1 … 99 ·100· 101 … 142 »: the ends and the neighbours in one press,
    and from a "…" or the current page the page chooser. None for two pages or fewer."""
    if pages <= 2:
        return []
    shown = sorted({0, page - 1, page, page + 1, pages - 1} & set(range(pages)))
    row: list[Button] = []
    for before, number in zip([None, *shown], shown, strict=False):
        if before is not None and number - before > 1:
            row.append((MORE_PAGES_BUTTON, choose))
        data = choose if number == page else go(number)
        row.append((page_number_button(number, pages, page), data))
    return [row]


def chooser_stride(pages: int) -> int:
    """Every how many pages the chooser offers one: 1, 2, 5, 10, 20, 50, ..."""
    stride = 1
    while math.ceil(pages / stride) > MAX_CHOSEN_PAGES:
        stride = stride * 5 // 2 if str(stride).startswith("2") else stride * 2
    return stride


def page_chooser(tr: Tr, page: int, pages: int, go: Callable[[int], str]) -> Rows:
    """Page numbers to jump to (the first, the last and every `chooser_stride`-th), and the
    way back to the page shown."""
    stride = chooser_stride(pages)
    numbers = sorted({0, pages - 1} | {n - 1 for n in range(stride, pages + 1, stride)})
    buttons = [(page_number_button(n, pages, page), go(n)) for n in numbers]
    rows = [
        buttons[start : start + PAGE_NUMBERS_PER_ROW]
        for start in range(0, len(buttons), PAGE_NUMBERS_PER_ROW)
    ]
    return in_language([*rows, [(tr.gettext(BACK_TO_PAGE_BUTTON), go(page))]], tr.language)


def candidate_buttons(candidates: Sequence[Candidate]) -> Rows:
    return [
        [(button_text(c.title), callbacks.show_event(c.slug))]
        for c in candidates[:MAX_CANDIDATE_BUTTONS]
    ]


def answer_buttons(
    answer: Answer,
    page: int = 0,
    public_url: str | None = None,
    question_id: int = 0,
    *,
    following: bool = False,
) -> Rows:
    """Buttons under a reply: a card's page buttons, its About and Assessments pages, its
    web page (where the site has a public URL), related events and, last, 👍, 👎 and Follow
    (Unfollow for a chat that follows it); candidates to pick from, or the event list.
    `question_id` is the recorded question the reply answers (0: none), which the feedback
    and "None of these" buttons name."""
    tr = translator(answer.language)
    if answer.event is not None:
        event = answer.event
        pages = len(answer.rendered)
        notes = [(tr.gettext(ABOUT_BUTTON), callbacks.about_page(event.slug, 0))]
        if has_assessments(event):
            assessments = tr.gettext(ASSESSMENTS_BUTTON)
            notes.append((assessments, callbacks.assessments_page(event.slug, 0)))
        rows = navigation(tr, page, pages, lambda to: callbacks.card_page(event.slug, to))
        choose = callbacks.page_chooser(event.slug, page)
        rows += page_jumps(page, pages, lambda to: callbacks.card_page(event.slug, to), choose)
        rows.append(notes)
        if public_url:
            link = Link(tr.gettext(OPEN_IN_BROWSER_BUTTON), event_url(public_url, event.slug))
            rows.append([link])
        related = [
            [(related_button(r.title), callbacks.open_event(r.slug))]
            for r in event.related[:MAX_CANDIDATE_BUTTONS]
        ]
        last = [*feedback_row(question_id, event.slug), follow_button(tr, event.slug, following)]
        return in_language([*rows, *related, last], answer.language)
    choices = candidate_buttons(answer.candidates)
    if answer.outcome == Decision.AMBIGUOUS:
        choices.append([(tr.gettext(NONE_OF_THESE_BUTTON), callbacks.none_of_these(question_id))])
    if answer.outcome == Decision.NO_MATCH:
        choices.append([(tr.gettext(BROWSE_BUTTON), callbacks.events_page(0))])
    return in_language(choices, answer.language)


def feedback_row(question_id: int, slug: str) -> list[Button]:
    return [
        (THUMBS_UP, callbacks.feedback(FeedbackVote.UP, question_id, slug)),
        (THUMBS_DOWN, callbacks.feedback(FeedbackVote.DOWN, question_id, slug)),
    ]


def follow_button(tr: Tr, slug: str, following: bool) -> Button:
    if following:
        return (tr.gettext(UNFOLLOW_BUTTON), callbacks.unfollow(slug))
    return (tr.gettext(FOLLOW_BUTTON), callbacks.follow(slug))


def side_page_buttons(
    tr: Tr, slug: str, page: int, pages: int, data: Callable[[str, int], str]
) -> Rows:
    """Under an About or Assessments page: its own pages, and the way back to the claims."""
    back = [(tr.gettext(BACK_TO_CLAIMS_BUTTON), callbacks.card_page(slug, 0))]
    return in_language([*navigation(tr, page, pages, lambda to: data(slug, to)), back], tr.language)
