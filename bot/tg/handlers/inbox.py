"""Telegram handlers for the moderators' side of the loop: /inbox and its buttons (answer
with an event, new event, dismiss, spam), /answer ITEM SLUG, /stats, and telling every
asker of an answered item the answer, once.

Staff are checked on every command and button; the actions run through
`ModerationService.run_action`, so they are audited and undone with /undo.
"""

import asyncio
import datetime as dt
import logging
import re

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.answering import AnswerService
from bot.i18n import DEFAULT_LANGUAGE, is_language, translator
from bot.moderation.errors import ModerationError
from bot.moderation.rendering import PRIVATE_ONLY, render_error
from bot.moderation.service import ModerationService
from bot.moderation.staff import allowed, refusal
from bot.rendering import escape
from bot.tg import callbacks
from bot.tg.callbacks import InboxAction, Prefix
from bot.tg.handlers.moderator import ModeratorHandlers
from bot.tg.handlers.user_keyboards import Rows, answer_buttons, as_markup, navigation
from bot.tg.transport import edit_html
from bot.tipline import actions
from bot.tipline.grouping import key_words
from bot.tipline.recorder import QuestionRecorder
from bot.tipline.rendering import (
    ANSWER_BUTTON,
    ANSWER_USAGE,
    BACK_TO_INBOX_BUTTON,
    DISMISS_BUTTON,
    DISMISS_REASONS,
    INBOX_ITEM_GONE,
    NEW_EVENT_BUTTON,
    NEW_EVENT_START,
    NO_SUCH_EVENT,
    SAVE_ANSWER_BUTTON,
    SPAM_BUTTON,
    STATS_PERIODS,
    STATS_USAGE,
    alias_button,
    cut,
    item_button,
    render_answer_found,
    render_answer_preview,
    render_answered,
    render_choose_event,
    render_choose_reason,
    render_done,
    render_inbox,
    render_item,
    render_stats,
)
from bot.tipline.service import TiplineService
from bot.user_rendering import STALE_BUTTON, button_text
from db.models import TiplineItem, utcnow
from db.vocabulary import Role

log = logging.getLogger(__name__)

EVENT_CHOICES = 6
# Moderator screens are in English, like the other moderator commands.
MODERATORS_TR = translator(DEFAULT_LANGUAGE)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_PERIOD = {"today": 1, "1": 1, "7": 7, "30": 30}


class InboxHandlers:
    def __init__(
        self,
        tipline: TiplineService,
        moderation: ModerationService,
        answers: AnswerService,
        moderators: ModeratorHandlers,
        public_url: str | None,
        recorder: QuestionRecorder,
    ) -> None:
        self.recorder = recorder
        self.tipline = tipline
        self.moderation = moderation
        self.answers = answers
        self.moderators = moderators
        self.public_url = public_url

    async def _refused(self, message: Message, user_id: int) -> bool:
        """Refuse (with one reply) anyone but staff, and staff outside a private chat."""
        role = await asyncio.to_thread(self.moderation.role, user_id)
        if not allowed(role, Role.MODERATOR):
            await message.reply_html(escape(refusal(Role.MODERATOR)))
            return True
        if message.chat.type != ChatType.PRIVATE:
            await message.reply_html(PRIVATE_ONLY)
            return True
        return False

    async def _staff_button(self, query: CallbackQuery) -> Message | None:
        """The pressed message, if a moderator pressed it; else the button is answered."""
        role = await asyncio.to_thread(self.moderation.role, query.from_user.id)
        if not allowed(role, Role.MODERATOR):
            await query.answer(refusal(Role.MODERATOR))
            return None
        if not isinstance(query.message, Message):
            await query.answer(STALE_BUTTON)
            return None
        return query.message

    # ------------------------------------------------------------ the inbox

    async def _inbox_screen(self, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
        shown = await asyncio.to_thread(self.tipline.inbox, page)
        rows: Rows = [[(item_button(i), callbacks.inbox_item(i.id))] for i in shown.items]
        rows += navigation(MODERATORS_TR, shown.page, shown.pages, callbacks.inbox_page)
        return render_inbox(shown.items, shown.page, shown.pages, shown.total), as_markup(rows)

    async def inbox(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or await self._refused(message, user.id):
            return
        text, keyboard = await self._inbox_screen(0)
        await message.reply_html(text, reply_markup=keyboard)

    async def _numbered_button(self, update: Update, prefix: Prefix) -> tuple[Message, int] | None:
        """The pressed message and the number its button carries, if a moderator pressed a
        well-formed one; the button is answered either way."""
        query = update.callback_query
        assert query is not None  # registered for callback queries only
        message = await self._staff_button(query)
        number = callbacks.parse_number(query.data, prefix)
        if message is None:
            return None
        if number is None or (prefix == Prefix.STATS and number not in STATS_PERIODS):
            await query.answer(STALE_BUTTON)
            return None
        await query.answer()
        return message, number

    async def inbox_page_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        pressed = await self._numbered_button(update, Prefix.INBOX_PAGE)
        if pressed is not None:
            await edit_html(pressed[0], *await self._inbox_screen(pressed[1]))

    async def item_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None  # registered for callback queries only
        message = await self._staff_button(query)
        if message is None:
            return
        item = await self._open_item(query, callbacks.parse_number(query.data, Prefix.INBOX_ITEM))
        if item is None:
            return
        rows: Rows = [
            [(ANSWER_BUTTON, callbacks.inbox_action(InboxAction.CHOOSE_EVENT, item.id))],
            [(NEW_EVENT_BUTTON, callbacks.inbox_action(InboxAction.NEW_EVENT, item.id))],
            [
                (DISMISS_BUTTON, callbacks.inbox_action(InboxAction.CHOOSE_REASON, item.id)),
                (SPAM_BUTTON, callbacks.inbox_action(InboxAction.SPAM, item.id)),
            ],
            [(BACK_TO_INBOX_BUTTON, callbacks.inbox_page(0))],
        ]
        await edit_html(message, render_item(item), as_markup(rows))

    async def _open_item(self, query: CallbackQuery, item_id: int | None) -> TiplineItem | None:
        """The open item a button names, with the button answered."""
        item = await asyncio.to_thread(self.tipline.open_item, item_id) if item_id else None
        if item is None:
            await query.answer(INBOX_ITEM_GONE if item_id else STALE_BUTTON)
            return None
        await query.answer()
        return item

    # ------------------------------------------------------------ actions on an item

    async def action_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None  # registered for callback queries only
        message = await self._staff_button(query)
        pressed = callbacks.parse_inbox_action(query.data)
        if message is None:
            return
        item = await self._open_item(query, pressed.item_id if pressed else None)
        if item is None or pressed is None:
            return
        user_id = query.from_user.id
        match pressed.action:
            case InboxAction.CHOOSE_EVENT:
                await self._choose_event(message, user_id, item)
            case InboxAction.PREVIEW:
                await self._preview(message, item, pressed.argument, edit=True)
            case InboxAction.ANSWER | InboxAction.ANSWER_WITH_ALIAS:
                alias = (
                    key_words(item.text)
                    if pressed.action == InboxAction.ANSWER_WITH_ALIAS
                    else None
                )
                await self._answer(message, user_id, item, pressed.argument, alias, context.bot)
            case InboxAction.NEW_EVENT:
                await message.reply_html(
                    escape(NEW_EVENT_START.format(item=item.id, text=cut(item.text, 300)))
                )
                await self.moderators.start_form(message, user_id, "addevent")
            case InboxAction.CHOOSE_REASON:
                rows: Rows = [
                    [(reason, callbacks.inbox_action(InboxAction.DISMISS, item.id, n))]
                    for n, reason in enumerate(DISMISS_REASONS)
                ]
                rows.append([(BACK_TO_INBOX_BUTTON, callbacks.inbox_item(item.id))])
                await edit_html(message, render_choose_reason(item), as_markup(rows))
            case InboxAction.DISMISS:
                reason = DISMISS_REASONS[min(pressed.argument, len(DISMISS_REASONS) - 1)]
                await self._act(message, user_id, lambda w: actions.dismiss(w, item.id, reason))
            case InboxAction.SPAM:
                hours = self.tipline.limits.spam_block_hours
                until = utcnow() + dt.timedelta(hours=hours)
                await self._act(message, user_id, lambda w: actions.spam(w, item.id, until))

    async def _act(self, message: Message, user_id: int, run: actions.Action) -> None:
        try:
            result = await asyncio.to_thread(
                self.moderation.run_action, user_id, actions.INBOX, run
            )
        except ModerationError as error:
            await edit_html(message, render_error(error), _back_to_inbox())
            return
        await edit_html(message, render_done(result.message), _back_to_inbox())

    async def _choose_event(self, message: Message, user_id: int, item: TiplineItem) -> None:
        found = await asyncio.to_thread(self.answers.ask, item.text)
        slugs = [found.event.slug] if found.event else []
        slugs += [c.slug for c in found.candidates]
        slugs += [
            slug
            for slug, _ in await asyncio.to_thread(
                self.moderation.recent_events, user_id, EVENT_CHOICES
            )
        ]
        events = await asyncio.to_thread(self.tipline.events, slugs)
        rows: Rows = [
            [(button_text(title), callbacks.inbox_action(InboxAction.PREVIEW, item.id, event_id))]
            for event_id, _, title in events[:EVENT_CHOICES]
        ]
        rows.append([(BACK_TO_INBOX_BUTTON, callbacks.inbox_item(item.id))])
        await edit_html(message, render_choose_event(item), as_markup(rows))

    async def _preview(
        self, message: Message, item: TiplineItem, event_id: int, *, edit: bool
    ) -> None:
        event = await asyncio.to_thread(self.tipline.event, event_id)
        if event is None:
            await message.reply_html(escape(INBOX_ITEM_GONE))
            return
        alias = key_words(item.text)
        rows: Rows = [
            [(SAVE_ANSWER_BUTTON, callbacks.inbox_action(InboxAction.ANSWER, item.id, event_id))]
        ]
        if alias:
            data = callbacks.inbox_action(InboxAction.ANSWER_WITH_ALIAS, item.id, event_id)
            rows.append([(alias_button(alias), data)])
        rows.append([(BACK_TO_INBOX_BUTTON, callbacks.inbox_item(item.id))])
        text = render_answer_preview(item, event[1], alias)
        if edit:
            await edit_html(message, text, as_markup(rows))
        else:
            await message.reply_html(text, reply_markup=as_markup(rows))

    async def _answer(
        self,
        message: Message,
        user_id: int,
        item: TiplineItem,
        event_id: int,
        alias: str | None,
        bot: Bot,
    ) -> None:
        event = await asyncio.to_thread(self.tipline.event, event_id)
        if event is None:
            await edit_html(message, escape(INBOX_ITEM_GONE), _back_to_inbox())
            return
        slug, title = event
        try:
            await asyncio.to_thread(
                self.moderation.run_action,
                user_id,
                actions.INBOX,
                lambda w: actions.answer(w, item.id, slug, alias),
            )
        except ModerationError as error:
            await edit_html(message, render_error(error), _back_to_inbox())
            return
        told = await self.notify_askers(bot, item.id)
        await edit_html(message, render_answered(item.id, title, told, alias), _back_to_inbox())

    async def answer_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/answer ITEM SLUG: the preview of answering an item with an event, by slug."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or await self._refused(message, user.id):
            return
        args = context.args or []
        if len(args) != 2 or not re.fullmatch(r"#?[0-9]{1,9}", args[0]):
            await message.reply_html(ANSWER_USAGE)
            return
        item = await asyncio.to_thread(self.tipline.open_item, int(args[0].lstrip("#")))
        if item is None:
            await message.reply_html(escape(INBOX_ITEM_GONE))
            return
        events = await asyncio.to_thread(self.tipline.events, [args[1].lower()[:100]])
        if not events:
            await message.reply_html(escape(NO_SUCH_EVENT.format(slug=args[1][:100])))
            return
        await self._preview(message, item, events[0][0], edit=False)

    # ------------------------------------------------------------ telling the askers

    async def notify_askers(self, bot: Bot, item_id: int) -> int:
        """Send each asker of the item just answered the event's card, once; returns how
        many were told. Users who blocked the bot are skipped (and forgotten). Only the
        moderator's own answer sends, so no other process sends to the same askers."""
        answered = await asyncio.to_thread(self.tipline.answered_with, item_id)
        if answered is None:
            return 0
        question, slug = answered
        told = 0
        for recipient in await asyncio.to_thread(self.tipline.unnotified, item_id):
            language = recipient.language if is_language(recipient.language) else DEFAULT_LANGUAGE
            answer = await asyncio.to_thread(self.answers.show_event, slug, language)
            if answer.event is None:
                return told  # hidden since: nothing to send
            notice = render_answer_found(translator(language), question)
            try:
                await bot.send_message(
                    recipient.chat_id,
                    notice + "\n\n" + answer.rendered[0],
                    parse_mode=ParseMode.HTML,
                    reply_markup=as_markup(answer_buttons(answer, 0, self.public_url)),
                    link_preview_options=NO_PREVIEW,
                )
            except Forbidden:
                log.info("asker %s blocked the bot; not told", recipient.asker_id)
            except TelegramError:
                # Past the retries of `bot/tg/resilience.py`: given up, so no id is kept.
                log.warning("could not tell asker %s; given up", recipient.asker_id)
            else:
                told += 1
            await asyncio.to_thread(self.tipline.notified, recipient.asker_id)
        return told

    # ------------------------------------------------------------ figures

    async def stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or await self._refused(message, user.id):
            return
        word = (context.args or ["7"])[0].lower()
        days = _PERIOD.get(word)
        if days is None:
            await message.reply_html(escape(STATS_USAGE))
            return
        text, keyboard = await self._stats_screen(days)
        await message.reply_html(text, reply_markup=keyboard)

    async def stats_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        pressed = await self._numbered_button(update, Prefix.STATS)
        if pressed is not None:
            await edit_html(pressed[0], *await self._stats_screen(pressed[1]))

    async def _stats_screen(self, days: int) -> tuple[str, InlineKeyboardMarkup | None]:
        await self.recorder.flush()  # this process's latest questions count too
        figures = await asyncio.to_thread(self.tipline.figures, days)
        row = [(label, callbacks.stats(d)) for d, label in STATS_PERIODS.items() if d != days]
        return render_stats(figures, days), as_markup([row])


def _back_to_inbox() -> InlineKeyboardMarkup | None:
    return as_markup([[(BACK_TO_INBOX_BUTTON, callbacks.inbox_page(0))]])
