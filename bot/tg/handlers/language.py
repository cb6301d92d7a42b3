"""Telegram handlers for choosing the language of the replies: /language and its buttons."""

import asyncio

from telegram import Bot, Chat, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ContextTypes

from bot.i18n import LANGUAGE_NAMES, LANGUAGES, is_language, translator
from bot.tg import callbacks
from bot.tg.handlers.user import UserHandlers
from bot.tg.handlers.user_keyboards import as_markup
from bot.tg.transport import edit_html
from bot.user_rendering import (
    LANGUAGE_ADMINS_ONLY,
    LANGUAGE_USAGE,
    STALE_BUTTON,
    render_language_prompt,
    render_language_set,
)


class LanguageHandlers:
    def __init__(self, users: UserHandlers) -> None:
        self.users = users  # the reader's language and a pressed button are read as theirs

    async def language_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/language: buttons to choose the language of the replies; /language uk sets it."""
        message = update.effective_message
        if message is None:
            return
        tr = await self.users.tr(update)
        if not context.args:
            current = await self.users.language(message.chat, update.effective_user)
            buttons = [
                [(LANGUAGE_NAMES[code], callbacks.choose_language(code)) for code in LANGUAGES]
            ]
            await message.reply_html(
                render_language_prompt(tr, current), reply_markup=as_markup(buttons)
            )
            return
        wanted = context.args[0].lower()
        if len(context.args) > 1 or not is_language(wanted):
            await message.reply_html(tr.gettext(LANGUAGE_USAGE))
        elif not await _may_set_language(context.bot, message.chat, update.effective_user):
            await message.reply_html(tr.gettext(LANGUAGE_ADMINS_ONLY))
        else:
            await asyncio.to_thread(self.users.languages.choose, message.chat.id, wanted)
            await message.reply_html(render_language_set(translator(wanted), wanted))

    async def language_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        pressed = await self.users.pressed(update)
        language = callbacks.parse_language(pressed.data)
        if language is None or pressed.message is None:
            await pressed.query.answer(pressed.tr.gettext(STALE_BUTTON))
            return
        chat = pressed.message.chat
        if not await _may_set_language(context.bot, chat, pressed.query.from_user):
            await pressed.query.answer(pressed.tr.gettext(LANGUAGE_ADMINS_ONLY), show_alert=True)
            return
        await asyncio.to_thread(self.users.languages.choose, chat.id, language)
        await pressed.query.answer()
        await edit_html(pressed.message, render_language_set(translator(language), language), None)


async def _may_set_language(bot: Bot, chat: Chat, user: User | None) -> bool:
    """Anyone in a private chat; in a group, only its administrators."""
    if chat.type == ChatType.PRIVATE:
        return True
    if user is None:
        return False
    member = await bot.get_chat_member(chat.id, user.id)
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
