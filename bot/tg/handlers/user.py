"""Telegram handlers for people asking questions: thin wrappers around AnswerService.

Database work is synchronous, so it runs in a worker thread (`asyncio.to_thread`);
each service call opens and closes its own session. A question whose answer is in memory
is answered on the event loop.
"""

import asyncio
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.answering import Answer, AnswerService
from bot.matching import Candidate, Outcome
from bot.rendering import (
    HELP_TEXT,
    START_TEXT,
    escape,
    render_about,
    render_compact_card,
    render_events_page,
    render_sources,
)
from bot.tg import callbacks
from bot.tg.transport import reply_html
from db.queries import EventCard

log = logging.getLogger(__name__)

EXAMPLE_QUESTIONS = (
    "How many died at Makiivka?",
    "Were 600 Ukrainian soldiers killed in Kramatorsk?",
    "скільки дронів летіло на Київ?",
)
EVENTS_PER_PAGE = 8
MAX_CANDIDATE_BUTTONS = 5
MAX_INLINE_RESULTS = 10
BUTTON_TEXT_LIMIT = 60
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
STALE_BUTTON = "This button is no longer valid. Ask again, or see /events."


def _button_text(text: str) -> str:
    return text if len(text) <= BUTTON_TEXT_LIMIT else text[: BUTTON_TEXT_LIMIT - 1] + "…"


def candidate_keyboard(candidates: Sequence[Candidate]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _button_text(c.title), callback_data=callbacks.show_event(c.slug)
                )
            ]
            for c in candidates[:MAX_CANDIDATE_BUTTONS]
        ]
    )


def answer_keyboard(
    answer: Answer, page: int = 0, pages: int | None = None
) -> InlineKeyboardMarkup | None:
    """Buttons under a reply: a card's page buttons and related events, candidates to pick
    from, or the event list."""
    if answer.event is not None:
        event = answer.event
        pages = len(answer.pages()) if pages is None else pages
        rows: list[list[InlineKeyboardButton]] = []
        navigation = []
        if page > 0:
            navigation.append(
                InlineKeyboardButton(
                    "◀ Previous", callback_data=callbacks.card_page(event.slug, page - 1)
                )
            )
        if page < pages - 1:
            navigation.append(
                InlineKeyboardButton(
                    "Next ▶", callback_data=callbacks.card_page(event.slug, page + 1)
                )
            )
        if navigation:
            rows.append(navigation)
        rows += [
            [
                InlineKeyboardButton(
                    _button_text(f"→ {r.title}"), callback_data=callbacks.open_event(r.slug)
                )
            ]
            for r in event.related[:MAX_CANDIDATE_BUTTONS]
        ]
        return InlineKeyboardMarkup(rows) if rows else None
    choices = list(candidate_keyboard(answer.candidates).inline_keyboard)
    if answer.outcome == Outcome.NO_MATCH:
        choices.append(
            (InlineKeyboardButton("Browse all events", callback_data=callbacks.events_page(0)),)
        )
    return InlineKeyboardMarkup(choices)


class UserHandlers:
    def __init__(self, service: AnswerService) -> None:
        self.service = service
        # Each card's first-page buttons as sent, kept while the card is current.
        self._first_buttons: dict[str, tuple[EventCard, dict[str, Any] | None]] = {}

    # ------------------------------------------------------------ replies

    async def _reply_answer(self, message: Message, answer: Answer) -> None:
        """One message: a card's first page (its buttons turn the pages), or the reply."""
        pages = answer.pages()
        await reply_html(
            message,
            pages[0],
            self._first_page_buttons(answer, len(pages)),
            quote=message.chat.type != ChatType.PRIVATE,
        )

    def _first_page_buttons(self, answer: Answer, pages: int) -> dict[str, Any] | None:
        """The buttons under an answer's first page, as the Bot API takes them. A card's
        are built once: PTB's button objects cost half as much as matching the question."""
        card = answer.event
        if card is not None:
            kept = self._first_buttons.get(card.slug)
            if kept is not None and kept[0] is card:
                return kept[1]
        markup = answer_keyboard(answer, 0, pages)
        buttons = markup.to_dict() if markup is not None else None
        if card is not None:
            self._first_buttons[card.slug] = (card, buttons)
        return buttons

    async def answer_question(self, message: Message, question: str) -> None:
        if not question.strip():
            await message.reply_html(
                "Ask me about an event, for example: <i>how many died at Makiivka?</i>"
            )
            return
        answer = self.service.ask_from_memory(question)
        if answer is None:
            answer = await asyncio.to_thread(self.service.ask, question)
        await self._reply_answer(message, answer)

    # ------------------------------------------------------------ messages

    async def private_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.text is not None:
            await self.answer_question(message, message.text)

    async def group_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """In groups, answer only messages that mention the bot or reply to it."""
        message = update.effective_message
        if message is None or message.text is None:
            return
        username = context.bot.username
        mention = re.compile(rf"@{re.escape(username)}\b", re.IGNORECASE) if username else None
        replied = message.reply_to_message
        is_reply_to_bot = bool(
            replied and replied.from_user and replied.from_user.id == context.bot.id
        )
        if mention and mention.search(message.text):
            await self.answer_question(message, mention.sub(" ", message.text))
        elif is_reply_to_bot:
            await self.answer_question(message, message.text)

    async def ask(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        question = " ".join(context.args or [])
        if not question:
            await message.reply_html("Usage: /ask QUESTION — for example: /ask makiivka death toll")
            return
        await self.answer_question(message, question)

    # ------------------------------------------------------------ commands

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is None:
            return
        keyboard = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(q, callback_data=callbacks.example_question(n))]
                for n, q in enumerate(EXAMPLE_QUESTIONS)
            ]
        )
        await update.effective_message.reply_html(START_TEXT, reply_markup=keyboard)

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is None:
            return
        text = HELP_TEXT.format(username=escape(context.bot.username or "claimbot"))
        await update.effective_message.reply_html(text)

    async def about(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is not None:
            await update.effective_message.reply_html(render_about())

    async def sources(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is None:
            return
        for part in render_sources(await asyncio.to_thread(self.service.sources)):
            await update.effective_message.reply_html(part)

    async def events_screen(self, page: int) -> tuple[str, InlineKeyboardMarkup]:
        events = await asyncio.to_thread(self.service.events)
        pages = max(1, math.ceil(len(events) / EVENTS_PER_PAGE))
        page = min(max(page, 0), pages - 1)
        shown = events[page * EVENTS_PER_PAGE : (page + 1) * EVENTS_PER_PAGE]
        rows = [
            [
                InlineKeyboardButton(
                    _button_text(e.title), callback_data=callbacks.show_event(e.slug)
                )
            ]
            for e in shown
        ]
        navigation = []
        if page > 0:
            navigation.append(
                InlineKeyboardButton("◀ Previous", callback_data=callbacks.events_page(page - 1))
            )
        if page < pages - 1:
            navigation.append(
                InlineKeyboardButton("Next ▶", callback_data=callbacks.events_page(page + 1))
            )
        if navigation:
            rows.append(navigation)
        return render_events_page(shown, page, pages), InlineKeyboardMarkup(rows)

    async def events(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is None:
            return
        page = 0
        if context.args:
            # ASCII digits only: '²'.isdigit() is true, but int('²') fails.
            if not re.fullmatch(r"[0-9]{1,6}", context.args[0]):
                await update.effective_message.reply_html(
                    "Usage: /events or /events PAGE — for example /events 2."
                )
                return
            page = max(int(context.args[0]) - 1, 0)
        text, keyboard = await self.events_screen(page)
        await update.effective_message.reply_html(text, reply_markup=keyboard)

    async def event(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        if not context.args:
            await message.reply_html(
                "Usage: /event SLUG — for example /event makiivka-strike. See /events for all."
            )
            return
        slug = context.args[0].lower()[:100]
        if not slug.isascii() and re.search("[\ud800-\udfff]", slug):
            # Half of a UTF-16 surrogate pair: no database can look it up.
            await message.reply_html(
                "That is not an event name. Usage: /event SLUG — for example "
                "/event makiivka-strike. See /events for all."
            )
            return
        answer = await asyncio.to_thread(self.service.show_event, slug)
        if answer.event is not None:
            await self._reply_answer(message, answer)
            return
        suggestions = await asyncio.to_thread(self.service.suggest, slug)
        text = f"There is no event <code>{escape(slug)}</code>."
        if suggestions:
            text += " Did you mean one of these?"
        else:
            text += " See /events for all events."
        await message.reply_html(
            text, reply_markup=candidate_keyboard(suggestions) if suggestions else None
        )

    # ------------------------------------------------------------ buttons

    async def events_page_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        pressed = _pressed(update)
        page = callbacks.parse_number(pressed.data, callbacks.Prefix.EVENTS_PAGE)
        if page is None or pressed.message is None:
            await pressed.query.answer(STALE_BUTTON)
            return
        await pressed.query.answer()
        text, keyboard = await self.events_screen(page)
        await _edit(pressed.message, text, keyboard)

    async def example_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        pressed = _pressed(update)
        index = callbacks.parse_number(pressed.data, callbacks.Prefix.EXAMPLE)
        if index is None or index >= len(EXAMPLE_QUESTIONS) or pressed.message is None:
            await pressed.query.answer(STALE_BUTTON)
            return
        await pressed.query.answer()
        await self.answer_question(pressed.message, EXAMPLE_QUESTIONS[index])

    async def card_page_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        pressed = _pressed(update)
        card = callbacks.parse_card_page(pressed.data)
        if card is None or pressed.message is None:
            await pressed.query.answer(STALE_BUTTON)
            return
        answer = await self._shown_event(pressed, card.slug)
        if answer is not None:
            await self._show_in_place(pressed.message, answer, card.page)

    async def show_event_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        pressed = _pressed(update)
        slug = callbacks.parse_slug(pressed.data, callbacks.Prefix.SHOW_EVENT)
        answer = await self._shown_event(pressed, slug)
        if answer is not None and pressed.message is not None:
            await self._show_in_place(pressed.message, answer)

    async def open_event_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        pressed = _pressed(update)
        slug = callbacks.parse_slug(pressed.data, callbacks.Prefix.OPEN_EVENT)
        answer = await self._shown_event(pressed, slug)
        if answer is not None and pressed.message is not None:
            await self._reply_answer(pressed.message, answer)

    async def stale_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any button data this bot does not send (any more)."""
        if update.callback_query is not None:
            await update.callback_query.answer(STALE_BUTTON)

    async def _shown_event(self, pressed: "Pressed", slug: str | None) -> Answer | None:
        """The event a button names, with the button answered; None if it cannot be shown."""
        if slug is None or pressed.message is None:
            await pressed.query.answer(STALE_BUTTON)
            return None
        answer = await asyncio.to_thread(self.service.show_event, slug)
        if answer.event is None:
            await pressed.query.answer("That event is no longer available. See /events.")
            return None
        await pressed.query.answer()
        return answer

    async def _show_in_place(self, message: Message, answer: Answer, page: int = 0) -> None:
        """Show a page of the card in this message (a question-prompt or another page)."""
        pages = answer.pages()
        page = min(max(page, 0), len(pages) - 1)  # the card may have fewer pages by now
        await _edit(message, pages[page], answer_keyboard(answer, page, len(pages)))

    # ------------------------------------------------------------ inline mode

    async def inline_query(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        if query is None:
            return
        text = query.query.strip()
        if text:
            answer = await asyncio.to_thread(self.service.ask, text)
            slugs = [c.slug for c in answer.candidates]
        else:
            slugs = [e.slug for e in await asyncio.to_thread(self.service.events)]
        results = []
        username = context.bot.username or "claimbot"
        for slug in slugs[:MAX_INLINE_RESULTS]:
            card = await asyncio.to_thread(self.service.card, slug)
            if card is None:
                continue
            results.append(
                InlineQueryResultArticle(
                    id=slug,
                    title=card.title,
                    description=f"{len(card.claims)} claims · {card.place}",
                    input_message_content=InputTextMessageContent(
                        render_compact_card(card, username),
                        parse_mode=ParseMode.HTML,
                        link_preview_options=NO_PREVIEW,
                    ),
                )
            )
        await query.answer(results, cache_time=30, is_personal=False)


@dataclass(frozen=True)
class Pressed:
    query: CallbackQuery
    data: str | None
    message: Message | None  # None when the message is too old for the bot to edit


def _pressed(update: Update) -> Pressed:
    query = update.callback_query
    assert query is not None  # these handlers are registered for callback queries only
    message = query.message if isinstance(query.message, Message) else None
    return Pressed(query, query.data, message)


async def _edit(message: Message, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    try:
        await message.edit_text(
            text, parse_mode=ParseMode.HTML, reply_markup=keyboard, link_preview_options=NO_PREVIEW
        )
    except BadRequest as error:
        # Pressing the same button twice asks for the text the message already has.
        if "not modified" not in error.message:
            raise
