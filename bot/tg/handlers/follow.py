"""Telegram handlers for following events: the Follow/Unfollow buttons, /following, /mute
and /unmute. In a group only its admins may change what the group follows."""

import asyncio
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.follow_rendering import (
    ALREADY_FOLLOWED,
    ALREADY_MUTED,
    FOLLOW_EVENT_GONE,
    FOLLOWED,
    GROUP_ADMINS_ONLY,
    MUTED,
    NOT_FOLLOWED,
    NOT_MUTED,
    UNFOLLOW_BUTTON,
    UNFOLLOWED,
    UNMUTED,
    render_following,
)
from bot.follow_service import Followed, FollowService
from bot.i18n import Tr, reply_language, translator
from bot.tg import callbacks
from bot.tg.handlers.user_keyboards import as_markup, follow_button
from bot.user_rendering import STALE_BUTTON, button_text

log = logging.getLogger(__name__)

ADMINS = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})


class FollowHandlers:
    def __init__(self, follows: FollowService) -> None:
        self.follows = follows

    async def follow_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._pressed(update, context, following=True)

    async def unfollow_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._pressed(update, context, following=False)

    async def _pressed(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, following: bool
    ) -> None:
        query = update.callback_query
        assert query is not None  # registered for callback queries only
        prefix = callbacks.Prefix.FOLLOW if following else callbacks.Prefix.UNFOLLOW
        slug = callbacks.parse_slug(query.data, prefix)
        message = query.message if isinstance(query.message, Message) else None
        chat = message.chat if message is not None else None
        language = reply_language(None, None, query.from_user.language_code)
        tr = translator(language)
        if slug is None or chat is None:
            await query.answer(tr.gettext(STALE_BUTTON))
            return
        if chat.type != ChatType.PRIVATE:
            member = await context.bot.get_chat_member(chat.id, query.from_user.id)
            if member.status not in ADMINS:
                await query.answer(tr.gettext(GROUP_ADMINS_ONLY), show_alert=True)
                return
        if following:
            outcome = await asyncio.to_thread(self.follows.follow, chat.id, slug, language)
            if outcome == Followed.GONE:
                await query.answer(tr.gettext(FOLLOW_EVENT_GONE))
                return
            toast = FOLLOWED if outcome == Followed.NOW else ALREADY_FOLLOWED
        else:
            gone = await asyncio.to_thread(self.follows.unfollow, chat.id, slug)
            toast = UNFOLLOWED if gone else NOT_FOLLOWED
        await query.answer(tr.gettext(toast))
        assert message is not None
        await _swap_button(tr, message, slug, following)

    async def following(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        tr = _tr(update)
        events, muted = await asyncio.to_thread(self.follows.following, message.chat_id)
        unfollow = tr.gettext(UNFOLLOW_BUTTON)
        rows = [
            [(button_text(f"{unfollow}: {title}"), callbacks.unfollow(slug))]
            for slug, title in events
        ]
        text = render_following(tr, events, muted)
        await message.reply_html(text, reply_markup=as_markup(rows))

    async def mute(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._mute(update, context, muted=True)

    async def unmute(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._mute(update, context, muted=False)

    async def _mute(self, update: Update, context: ContextTypes.DEFAULT_TYPE, muted: bool) -> None:
        message = update.effective_message
        if message is None:
            return
        tr = _tr(update)
        if message.chat.type != ChatType.PRIVATE and message.from_user is not None:
            member = await context.bot.get_chat_member(message.chat_id, message.from_user.id)
            if member.status not in ADMINS:
                await message.reply_html(tr.gettext(GROUP_ADMINS_ONLY))
                return
        changed = await asyncio.to_thread(self.follows.mute, message.chat_id, muted)
        if muted:
            await message.reply_html(tr.gettext(MUTED if changed else ALREADY_MUTED))
        else:
            await message.reply_html(tr.gettext(UNMUTED if changed else NOT_MUTED))


def _tr(update: Update) -> Tr:
    """The language of the one who sent the command."""
    user = update.effective_user
    return translator(reply_language(None, None, user.language_code if user else None))


async def _swap_button(tr: Tr, message: Message, slug: str, following: bool) -> None:
    """The pressed message's button for this event now offers the opposite."""
    markup = message.reply_markup
    if markup is None:
        return
    pressed = callbacks.follow(slug) if following else callbacks.unfollow(slug)
    text, data = follow_button(tr, slug, following)
    rows = [
        [
            InlineKeyboardButton(text, callback_data=data)
            if button.callback_data == pressed
            else button
            for button in row
        ]
        for row in markup.inline_keyboard
    ]
    try:
        await message.edit_reply_markup(InlineKeyboardMarkup(rows))
    except BadRequest as error:
        # A second press of the same button asks for the buttons the message already has.
        if "not modified" not in error.message:
            raise
