"""Telegram handlers for people asking questions: thin wrappers around AnswerService.

Database work is synchronous, so it runs in a worker thread (`asyncio.to_thread`);
each service call opens and closes its own session. A question whose answer is in memory
is answered on the event loop.
"""

import asyncio
import logging
import math
import re
from dataclasses import dataclass

from telegram import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    Update,
    User,
)
from telegram.constants import ChatType, ParseMode
from telegram.ext import ContextTypes

from bot.answering import Answer, AnswerService
from bot.card import render_compact_card
from bot.card_notes import render_assessments, render_event_about
from bot.chat_languages import ChatLanguages
from bot.follow_service import FollowService
from bot.i18n import (
    Language,
    Tr,
    reply_language,
    translator,
)
from bot.matching import Decision
from bot.metrics import QUESTIONS
from bot.question_limit import QuestionLimit, Verdict
from bot.rendering import (
    escape,
    help_text,
    render_about,
    render_events_page,
    render_sources,
    start_text,
)
from bot.tg import callbacks
from bot.tg.handlers.tipline import record_question
from bot.tg.handlers.user_keyboards import (
    answer_buttons,
    as_json,
    as_markup,
    candidate_buttons,
    in_language,
    navigation,
    page_chooser,
    side_page_buttons,
)
from bot.tg.transport import edit_html, reply_html
from bot.tipline.recorder import QuestionRecorder
from bot.tipline.rendering import INBOX_NOTICE
from bot.tipline.service import Asker, TiplineService
from bot.user_rendering import (
    ASK_USAGE,
    EMPTY_QUESTION,
    EVENT_GONE,
    EVENT_USAGE,
    EVENTS_USAGE,
    EXAMPLE_QUESTIONS,
    NONE_OF_THESE_THANKS,
    NOT_AN_EVENT,
    SLOW_DOWN,
    STALE_BUTTON,
    button_text,
    inline_description,
    render_unknown_event,
)

log = logging.getLogger(__name__)

EVENTS_PER_PAGE = 8
MAX_INLINE_RESULTS = 10
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class UserHandlers:
    def __init__(
        self,
        service: AnswerService,
        limit: QuestionLimit,
        public_url: str | None,
        tipline: TiplineService,
        recorder: QuestionRecorder,
        languages: ChatLanguages,
        follows: FollowService,
    ) -> None:
        self.service = service
        self.follows = follows
        self.limit = limit
        self.public_url = public_url  # the web site's, for the cards' "Open in browser"
        self.tipline = tipline
        self.recorder = recorder
        self.languages = languages

    # ------------------------------------------------------------ the reader's language

    async def language(
        self, chat: Chat | None, user: User | None, question: str | None = None
    ) -> Language:
        """The language to answer in (`bot.i18n.reply_language`): the chat's choice, in a
        group else the asker's own, else the question's, else the user's Telegram language."""
        ids = list(dict.fromkeys(c.id for c in (chat, user) if c is not None))
        chosen = self.languages.from_memory(ids)
        if chosen is None:
            chosen = await asyncio.to_thread(self.languages.load, ids)
        choice = (chosen.get(chat.id) if chat else None) or (chosen.get(user.id) if user else None)
        return reply_language(choice, question, user.language_code if user else None)

    async def tr(self, update: Update) -> Tr:
        return translator(await self.language(update.effective_chat, update.effective_user))

    # ------------------------------------------------------------ replies

    async def _reply_answer(self, message: Message, answer: Answer, question_id: int = 0) -> None:
        """One message: a card's first page (its buttons turn the pages), or the reply."""
        following = await self._following(message, answer)
        text = answer.rendered[0]
        if question_id and answer.outcome == Decision.NO_MATCH:
            text += "\n\n" + escape(INBOX_NOTICE)
        await reply_html(
            message,
            text,
            as_json(answer_buttons(answer, 0, self.public_url, question_id, following=following)),
            quote=message.chat.type != ChatType.PRIVATE,
        )

    async def _following(self, message: Message, answer: Answer) -> bool:
        """Whether the chat follows the card's event (its last button says Unfollow)."""
        if answer.event is None:
            return False
        return await asyncio.to_thread(
            self.follows.is_following, message.chat_id, answer.event.slug
        )

    async def answer_question(
        self, message: Message, question: str, asker: User | None = None
    ) -> None:
        """Answer `question` in `message`'s chat; `asker` if not the message's sender (who
        pressed an example button under the bot's own message)."""
        asker = asker or message.from_user
        language = await self.language(message.chat, asker, question)
        if not question.strip():
            await message.reply_html(translator(language).gettext(EMPTY_QUESTION))
            return
        verdict = self.limit.take(asker.id if asker else message.chat_id)
        if verdict != Verdict.ANSWER:
            if verdict == Verdict.WARN:
                await message.reply_html(translator(language).gettext(SLOW_DOWN))
            return
        answer = self.service.ask_from_memory(question, language)
        if answer is None:
            answer = await asyncio.to_thread(self.service.ask, question, language)
        QUESTIONS.labels(answer.outcome).inc()
        question_id = await record_question(self.tipline, self.recorder, message, answer)
        await self._reply_answer(message, answer, question_id)

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
            tr = await self.tr(update)
            await message.reply_html(tr.gettext(ASK_USAGE))
            return
        await self.answer_question(message, question)

    # ------------------------------------------------------------ commands

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is None:
            return
        tr = await self.tr(update)
        examples = enumerate(EXAMPLE_QUESTIONS[tr.language])
        keyboard = as_markup(
            in_language([[(q, callbacks.example_question(n))] for n, q in examples], tr.language)
        )
        await update.effective_message.reply_html(start_text(tr), reply_markup=keyboard)

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is None:
            return
        text = help_text(await self.tr(update), escape(context.bot.username or "claimbot"))
        await update.effective_message.reply_html(text)

    async def about(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is not None:
            await update.effective_message.reply_html(render_about(await self.tr(update)))

    async def sources(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is None:
            return
        tr = await self.tr(update)
        for part in render_sources(await asyncio.to_thread(self.service.sources), tr):
            await update.effective_message.reply_html(part)

    async def events_screen(self, tr: Tr, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
        events = await asyncio.to_thread(self.service.events, tr.language)
        pages = max(1, math.ceil(len(events) / EVENTS_PER_PAGE))
        page = min(max(page, 0), pages - 1)
        shown = events[page * EVENTS_PER_PAGE : (page + 1) * EVENTS_PER_PAGE]
        rows = [[(button_text(e.title), callbacks.show_event(e.slug))] for e in shown]
        rows += navigation(tr, page, pages, callbacks.events_page)
        return render_events_page(shown, page, pages, tr), as_markup(in_language(rows, tr.language))

    async def events(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is None:
            return
        page = 0
        tr = await self.tr(update)
        if context.args:
            # ASCII digits only: '²'.isdigit() is true, but int('²') fails.
            if not re.fullmatch(r"[0-9]{1,6}", context.args[0]):
                await update.effective_message.reply_html(tr.gettext(EVENTS_USAGE))
                return
            page = max(int(context.args[0]) - 1, 0)
        text, keyboard = await self.events_screen(tr, page)
        await update.effective_message.reply_html(text, reply_markup=keyboard)

    async def event(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        tr = await self.tr(update)
        if not context.args:
            await message.reply_html(tr.gettext(EVENT_USAGE))
            return
        slug = context.args[0].lower()[:100]
        if not slug.isascii() and re.search("[\ud800-\udfff]", slug):
            # Half of a UTF-16 surrogate pair: no database can look it up.
            await message.reply_html(tr.gettext(NOT_AN_EVENT))
            return
        answer = await asyncio.to_thread(self.service.show_event, slug, tr.language)
        if answer.event is not None:
            await self._reply_answer(message, answer)
            return
        suggestions = await asyncio.to_thread(self.service.suggest, slug)
        text = render_unknown_event(tr, slug, bool(suggestions))
        buttons = in_language(candidate_buttons(suggestions), tr.language)
        await message.reply_html(text, reply_markup=as_markup(buttons))

    # ------------------------------------------------------------ buttons

    async def events_page_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        pressed = await self.pressed(update)
        page = callbacks.parse_number(pressed.data, callbacks.Prefix.EVENTS_PAGE)
        if page is None or pressed.message is None:
            await pressed.query.answer(pressed.tr.gettext(STALE_BUTTON))
            return
        await pressed.query.answer()
        text, keyboard = await self.events_screen(pressed.tr, page)
        await edit_html(pressed.message, text, keyboard)

    async def example_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        pressed = await self.pressed(update)
        index = callbacks.parse_number(pressed.data, callbacks.Prefix.EXAMPLE)
        examples = EXAMPLE_QUESTIONS[pressed.tr.language]
        if index is None or index >= len(examples) or pressed.message is None:
            await pressed.query.answer(pressed.tr.gettext(STALE_BUTTON))
            return
        await pressed.query.answer()
        question = examples[index]
        await self.answer_question(pressed.message, question, pressed.query.from_user)

    async def none_of_these_button(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        pressed = await self.pressed(update)
        marked = callbacks.parse_number(pressed.data, callbacks.Prefix.NONE_OF_THESE)
        if marked is None or pressed.message is None:
            await pressed.query.answer(pressed.tr.gettext(STALE_BUTTON))
            return
        await pressed.query.answer()
        user = pressed.query.from_user
        await self.recorder.flush()  # the question may still be waiting to be recorded
        referred = marked > 0 and await asyncio.to_thread(
            self.tipline.refer_question,
            marked,
            Asker(user.id, pressed.message.chat_id, pressed.tr.language),
        )
        thanks = pressed.tr.gettext(NONE_OF_THESE_THANKS)
        if referred:
            thanks += "\n" + pressed.tr.gettext(INBOX_NOTICE)
        await edit_html(pressed.message, escape(thanks), None)

    async def card_page_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._card_page(update, choosing=False)

    async def page_chooser_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The card's page numbers to jump to, in place of its buttons; the page stays."""
        await self._card_page(update, choosing=True)

    async def _card_page(self, update: Update, choosing: bool) -> None:
        pressed = await self.pressed(update)
        prefix = callbacks.Prefix.PAGE_CHOOSER if choosing else callbacks.Prefix.CARD_PAGE
        card = callbacks.parse_card_page(pressed.data, prefix)
        if card is None or pressed.message is None:
            await pressed.query.answer(pressed.tr.gettext(STALE_BUTTON))
            return
        answer = await self._shown_event(pressed, card.slug)
        if answer is None:
            return
        if not choosing:
            await self._show_in_place(pressed.message, answer, card.page)
            return
        pages = len(answer.rendered)
        page = min(max(card.page, 0), pages - 1)
        rows = page_chooser(pressed.tr, page, pages, lambda to: callbacks.card_page(card.slug, to))
        await edit_html(pressed.message, answer.rendered[page], as_markup(rows))

    async def about_page_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An event's About pages: its summary, notes on dates and full references."""
        await self._side_page(update, callbacks.Prefix.ABOUT_PAGE)

    async def assessments_page_button(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        """An event's Assessments pages: each assessed claim's status in full."""
        await self._side_page(update, callbacks.Prefix.ASSESSMENTS_PAGE)

    async def _side_page(self, update: Update, prefix: callbacks.Prefix) -> None:
        pressed = await self.pressed(update)
        wanted = callbacks.parse_card_page(pressed.data, prefix)
        if wanted is None or pressed.message is None:
            await pressed.query.answer(pressed.tr.gettext(STALE_BUTTON))
            return
        answer = await self._shown_event(pressed, wanted.slug)
        if answer is None or answer.event is None:
            return
        tr = pressed.tr
        if prefix == callbacks.Prefix.ABOUT_PAGE:
            pages, data = render_event_about(answer.event, tr), callbacks.about_page
        else:
            pages, data = render_assessments(answer.event, tr), callbacks.assessments_page
        page = min(max(wanted.page, 0), len(pages) - 1)
        buttons = side_page_buttons(tr, wanted.slug, page, len(pages), data)
        await edit_html(pressed.message, pages[page], as_markup(buttons))

    async def show_event_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        pressed = await self.pressed(update)
        slug = callbacks.parse_slug(pressed.data, callbacks.Prefix.SHOW_EVENT)
        answer = await self._shown_event(pressed, slug)
        if answer is not None and pressed.message is not None:
            await self._show_in_place(pressed.message, answer)

    async def open_event_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        pressed = await self.pressed(update)
        slug = callbacks.parse_slug(pressed.data, callbacks.Prefix.OPEN_EVENT)
        answer = await self._shown_event(pressed, slug)
        if answer is not None and pressed.message is not None:
            await self._reply_answer(pressed.message, answer)

    async def stale_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any button data this bot does not send (any more)."""
        if update.callback_query is not None:
            tr = await self.tr(update)
            await update.callback_query.answer(tr.gettext(STALE_BUTTON))

    async def _shown_event(self, pressed: "Pressed", slug: str | None) -> Answer | None:
        """The event a button names, with the button answered; None if it cannot be shown."""
        if slug is None or pressed.message is None:
            await pressed.query.answer(pressed.tr.gettext(STALE_BUTTON))
            return None
        answer = await asyncio.to_thread(self.service.show_event, slug, pressed.tr.language)
        if answer.event is None:
            await pressed.query.answer(pressed.tr.gettext(EVENT_GONE))
            return None
        await pressed.query.answer()
        return answer

    async def pressed(self, update: Update) -> "Pressed":
        query = update.callback_query
        assert query is not None  # these handlers are registered for callback queries only
        message = query.message if isinstance(query.message, Message) else None
        # The language of the reply the button is under, else the reader's.
        language = callbacks.language_of_button(query.data)
        if language is None:
            language = await self.language(message.chat if message else None, query.from_user)
        return Pressed(query, query.data, message, translator(language))

    async def _show_in_place(self, message: Message, answer: Answer, page: int = 0) -> None:
        """Show a page of the card in this message (a question-prompt or another page)."""
        page = min(max(page, 0), len(answer.rendered) - 1)  # the card may have fewer pages by now
        following = await self._following(message, answer)
        buttons = answer_buttons(answer, page, self.public_url, following=following)
        await edit_html(message, answer.rendered[page], as_markup(buttons))

    # ------------------------------------------------------------ inline mode

    async def inline_query(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        if query is None:
            return
        text = query.query.strip()
        tr = translator(await self.language(None, query.from_user, text))
        if text:
            answer = await asyncio.to_thread(self.service.ask, text, tr.language)
            slugs = [c.slug for c in answer.candidates]
        else:
            slugs = [e.slug for e in await asyncio.to_thread(self.service.events, tr.language)]
        results = []
        username = context.bot.username or "claimbot"
        for slug in slugs[:MAX_INLINE_RESULTS]:
            card = await asyncio.to_thread(self.service.card, slug, tr.language)
            if card is None:
                continue
            results.append(
                InlineQueryResultArticle(
                    id=slug,
                    title=card.title,
                    description=inline_description(tr, card),
                    input_message_content=InputTextMessageContent(
                        render_compact_card(card, username, tr),
                        parse_mode=ParseMode.HTML,
                        link_preview_options=NO_PREVIEW,
                    ),
                )
            )
        # Personal: the results are in the asker's language.
        await query.answer(results, cache_time=30, is_personal=True)


@dataclass(frozen=True)
class Pressed:
    query: CallbackQuery
    data: str | None
    message: Message | None  # None when the message is too old for the bot to edit
    tr: Tr  # the language of the reader who pressed it
