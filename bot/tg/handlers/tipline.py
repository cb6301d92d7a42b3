"""Telegram handlers for users in the loop: 👍/👎 and what was wrong, tips (/tip, forwards,
links, captioned photos and documents) and /forget. Thin wrappers around TiplineService."""

import asyncio
import logging

from sqlalchemy.exc import SQLAlchemyError
from telegram import (
    Message,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
    Update,
    User,
)
from telegram.ext import ContextTypes

from bot.answering import Answer
from bot.i18n import DEFAULT_LANGUAGE, Tr, reply_language, translator
from bot.matching import MAX_QUESTION_CHARS, Decision
from bot.rendering import escape
from bot.tg import callbacks
from bot.tg.callbacks import FeedbackReason, FeedbackVote, Prefix
from bot.tg.handlers.user_keyboards import as_markup
from bot.tipline.recorder import QuestionRecorder
from bot.tipline.rendering import (
    REASONS,
    TIP_THANKS,
    TIP_USAGE,
    VOTE_THANKS,
    WHAT_WAS_WRONG,
    render_forgotten,
    render_reason_thanks,
    render_tip_blocked,
    render_tip_limit,
)
from bot.tipline.service import Asker, Question, TiplineService, TipOutcome, new_question_id
from bot.user_rendering import EVENT_GONE, STALE_BUTTON

log = logging.getLogger(__name__)

MAX_TIP_CHARS = 2000


async def record_question(
    tipline: TiplineService, recorder: QuestionRecorder, message: Message, answer: Answer
) -> int:
    """Record a question for the figures; the id its reply's buttons name (0: none).

    A question with no match goes to the moderators' inbox before the reply, which tells
    the user so; any other is recorded in a batch after the reply is on its way, so an
    answer never waits for the database (a long import holds SQLite's lock) nor fails
    with it.
    """
    user = message.from_user
    question = Question(
        new_question_id(),
        answer.question[:MAX_QUESTION_CHARS],
        message.chat.type,
        answer.outcome.value,
        answer.event.slug if answer.event else None,
    )
    if answer.outcome != Decision.NO_MATCH or user is None:
        recorder.add(question)
        return question.id
    try:
        return await asyncio.to_thread(
            tipline.record_unanswered,
            question,
            Asker(user.id, message.chat_id, answer.language),
        )
    except SQLAlchemyError as error:
        log.warning("an unanswered question was not recorded: %s", type(error).__name__)
        return 0


def reader(user: User, text: str | None = None) -> Tr:
    """The language to reply to this user in (`bot.i18n.reply_language`)."""
    return translator(reply_language(None, text, user.language_code))


def forward_origin(message: Message) -> str | None:
    """Who the forwarded message came from, as far as Telegram says."""
    origin = message.forward_origin
    if isinstance(origin, MessageOriginUser):
        user = origin.sender_user
        return user.full_name + (f" (@{user.username})" if user.username else "")
    if isinstance(origin, MessageOriginHiddenUser):
        return origin.sender_user_name
    if isinstance(origin, MessageOriginChat | MessageOriginChannel):
        chat = origin.sender_chat if isinstance(origin, MessageOriginChat) else origin.chat
        name = chat.title or chat.full_name or str(chat.id)
        return name + (f" (@{chat.username})" if chat.username else "")
    return None


class TiplineHandlers:
    def __init__(self, tipline: TiplineService, recorder: QuestionRecorder) -> None:
        self.tipline = tipline
        self.recorder = recorder

    # ------------------------------------------------------------ tips

    async def tip_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        text = " ".join(context.args or [])
        if not text.strip():
            tr = reader(message.from_user) if message.from_user else translator(DEFAULT_LANGUAGE)
            await message.reply_html(tr.gettext(TIP_USAGE))
            return
        await self._take_tip(message, text, None)

    async def tip_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A forward, a message with a link, or a captioned photo or document."""
        message = update.effective_message
        if message is None:
            return
        text = message.text or message.caption or ""
        await self._take_tip(message, text, forward_origin(message))

    async def _take_tip(self, message: Message, text: str, origin: str | None) -> None:
        if message.from_user is None:
            return
        tr = reader(message.from_user, text)
        asker = Asker(message.from_user.id, message.chat_id, tr.language)
        tip = await asyncio.to_thread(
            self.tipline.tip, text[:MAX_TIP_CHARS], origin and origin[:300], asker
        )
        if tip.outcome == TipOutcome.BLOCKED and tip.until is not None:
            await message.reply_html(render_tip_blocked(tr, tip.until))
        elif tip.outcome == TipOutcome.LIMITED:
            await message.reply_html(render_tip_limit(tr, self.tipline.limits.tips_per_hour))
        else:
            await message.reply_html(escape(tr.gettext(TIP_THANKS)))

    # ------------------------------------------------------------ feedback

    async def vote_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None  # registered for callback queries only
        pressed = callbacks.parse_feedback(query.data, Prefix.FEEDBACK)
        tr = reader(query.from_user)
        if pressed is None:
            await query.answer(tr.gettext(STALE_BUTTON))
            return
        recorded = await asyncio.to_thread(
            self.tipline.vote,
            query.from_user.id,
            pressed.slug,
            pressed.question_id,
            pressed.choice == FeedbackVote.UP,
        )
        if not recorded:
            await query.answer(tr.gettext(EVENT_GONE))
            return
        await query.answer(tr.gettext(VOTE_THANKS))
        if pressed.choice == FeedbackVote.DOWN and isinstance(query.message, Message):
            rows = [
                [
                    (
                        tr.gettext(REASONS[r]),
                        callbacks.feedback_reason(r, pressed.question_id, pressed.slug),
                    )
                    for r in pair
                ]
                for pair in (
                    (FeedbackReason.WRONG_EVENT, FeedbackReason.MISSING_CLAIM),
                    (FeedbackReason.OUTDATED, FeedbackReason.OTHER),
                )
            ]
            await query.message.reply_html(
                escape(tr.gettext(WHAT_WAS_WRONG)), reply_markup=as_markup(rows)
            )

    async def reason_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None  # registered for callback queries only
        pressed = callbacks.parse_feedback(query.data, Prefix.FEEDBACK_REASON)
        user = query.from_user
        tr = reader(user)
        if pressed is None or not isinstance(query.message, Message):
            await query.answer(tr.gettext(STALE_BUTTON))
            return
        recorded = await asyncio.to_thread(
            self.tipline.reason, user.id, pressed.slug, pressed.choice
        )
        if not recorded:
            await query.answer(tr.gettext(STALE_BUTTON))
            return
        await query.answer()
        referred = False
        if pressed.choice == FeedbackReason.WRONG_EVENT and pressed.question_id:
            await self.recorder.flush()  # the question may still be waiting to be recorded
            referred = await asyncio.to_thread(
                self.tipline.refer_question,
                pressed.question_id,
                Asker(user.id, query.message.chat_id, tr.language),
            )
        text = render_reason_thanks(tr, pressed.choice, referred)
        await query.message.edit_text(text, parse_mode="HTML")

    # ------------------------------------------------------------ privacy

    async def forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        forgotten = await asyncio.to_thread(self.tipline.forget, user.id)
        await message.reply_html(
            render_forgotten(reader(user), forgotten.items, forgotten.feedback)
        )
