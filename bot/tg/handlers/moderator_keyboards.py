"""The inline keyboards of moderator messages: form questions, previews, history pages."""

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.moderation.forms import Question
from bot.moderation.history import HistoryPage
from bot.tg import callbacks
from bot.user_rendering import button_text

BUTTONS_PER_ROW = 2


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


def question_markup(
    question: Question, step: int, options: Sequence[tuple[str, str]] = ()
) -> InlineKeyboardMarkup | None:
    """The question's buttons, for the form's `step`: its choices, `options` as
    (label, answer), Skip and Back."""
    buttons = [(choice, callbacks.form_answer(step, choice)) for choice in question.choices]
    buttons += [
        (button_text(label), callbacks.form_answer(step, value)) for label, value in options
    ]
    if question.skip:
        buttons.append((question.skip, callbacks.form_answer(step, None)))
    rows = [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    if question.can_go_back:
        rows.append([("◀ Back", callbacks.form_back(step))])
    return keyboard(rows) if rows else None


def confirm_markup(pending_id: int, save: str = "✅ Save") -> InlineKeyboardMarkup:
    """Buttons carrying the pending change's id (callback data stays far below 64 bytes)."""
    return keyboard(
        [
            [
                (save, callbacks.save_pending(pending_id)),
                ("✖ Cancel", callbacks.cancel_pending(pending_id)),
            ]
        ]
    )


def history_markup(page: HistoryPage) -> InlineKeyboardMarkup | None:
    target = page.target

    def to(number: int) -> str:
        return callbacks.history_page(target.entity, target.entity_id, number)

    buttons = []
    if page.page > 1:
        buttons.append(("◀ Newer", to(page.page - 1)))
    if page.page < page.pages:
        buttons.append(("Older ▶", to(page.page + 1)))
    return keyboard([buttons]) if buttons else None
