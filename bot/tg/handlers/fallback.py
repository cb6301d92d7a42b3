"""The last handlers: what nothing else handled still gets one short reply.

An unknown command, or a photo, sticker, voice message or file, is answered with what the
bot can do; a moderator's file without the /import caption, with how to import it.
Commands in groups are answered only when addressed to this bot by name, since other
bots' commands pass by there too.
"""

import asyncio
from collections.abc import Awaitable, Callable

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.i18n import Tr
from bot.moderation.rendering import IMPORT_HOW
from bot.moderation.service import ModerationService
from bot.user_rendering import NOT_TEXT, UNKNOWN_COMMAND


class FallbackHandlers:
    def __init__(
        self, moderation: ModerationService, reader: Callable[[Update], Awaitable[Tr]]
    ) -> None:
        self.moderation = moderation
        self.reader = reader  # the language to answer an update's sender in

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not _for_this_bot(message, context.bot.username):
            return
        await message.reply_html((await self.reader(update)).gettext(UNKNOWN_COMMAND))

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        if message.document is not None:
            role = await asyncio.to_thread(self.moderation.role, user.id)
            if role is not None:
                await message.reply_html(IMPORT_HOW)
                return
        await message.reply_html((await self.reader(update)).gettext(NOT_TEXT))


def _for_this_bot(message: Message, username: str | None) -> bool:
    if message.chat.type == ChatType.PRIVATE:
        return True
    command = (message.text or "").split(maxsplit=1)[0] if message.text else ""
    _, _, addressee = command.partition("@")
    return bool(username) and addressee.casefold() == (username or "").casefold()
