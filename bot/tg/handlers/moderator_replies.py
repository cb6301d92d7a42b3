"""The moderator commands answered by the handler itself: undo, history, files and staff.

Each is a spec (`bot/moderation/service_commands.py`) and one function registered beside
it with `@answers`, which the handler calls with the command's typed arguments.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram import BotCommandScopeChat, Message, MessageOriginUser
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.moderation.errors import ModerationError
from bot.moderation.rendering import (
    EXPORT_CAPTION,
    render_granted,
    render_history,
    render_moderators,
    render_outcome,
    render_revoked,
)
from bot.moderation.service import ModerationService
from bot.moderation.service_commands import (
    EXPORT,
    GRANT,
    HISTORY,
    IMPORT,
    MODERATORS,
    REVOKE,
    UNDO,
    Export,
    ExportFormat,
    History,
    NoArguments,
    Staff,
)
from bot.moderation.spec import A, CommandSpec
from bot.tg.handlers.moderator_keyboards import history_markup
from db.vocabulary import Role

if TYPE_CHECKING:
    from bot.tg.handlers.moderator import ModeratorHandlers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Call:
    """One moderator command as sent: who sent it, in which message."""

    handlers: "ModeratorHandlers"  # for the file download and menus they share
    message: Message
    context: ContextTypes.DEFAULT_TYPE
    user_id: int

    @property
    def service(self) -> ModerationService:
        return self.handlers.service


Reply = Callable[[Call, A], Awaitable[None]]
# The commands answered here rather than by a data action, by name: each parses its own text.
REPLIES: dict[str, Callable[[Call, str], Awaitable[None]]] = {}


def answers(spec: CommandSpec[A]) -> Callable[[Reply[A]], Reply[A]]:
    """Register the function below as the reply to `spec`'s command."""

    def register(reply: Reply[A]) -> Reply[A]:
        async def run(call: Call, rest: str) -> None:
            await reply(call, spec.typed(spec.bind(rest)))

        REPLIES[spec.name] = run
        return reply

    return register


@answers(UNDO)
async def _undo(call: Call, _: NoArguments) -> None:
    result = await asyncio.to_thread(call.service.undo, call.user_id)
    await call.message.reply_html(render_outcome(result))


@answers(HISTORY)
async def _history(call: Call, arguments: History) -> None:
    page = await asyncio.to_thread(
        call.service.history, call.user_id, arguments.target, arguments.page or 1
    )
    await call.message.reply_html(render_history(page), reply_markup=history_markup(page))


@answers(EXPORT)
async def _export(call: Call, arguments: Export) -> None:
    file = await asyncio.to_thread(
        call.service.export, call.user_id, arguments.format or ExportFormat.YAML
    )
    await call.message.reply_document(file.content, filename=file.name, caption=EXPORT_CAPTION)


@answers(IMPORT)
async def _import(call: Call, _: NoArguments) -> None:
    replied = call.message.reply_to_message
    await call.handlers.import_file(
        call.message, call.user_id, replied.document if replied else None
    )


@answers(MODERATORS)
async def _moderators(call: Call, _: NoArguments) -> None:
    staff = await asyncio.to_thread(call.service.moderators, call.user_id)
    await call.message.reply_html(render_moderators(staff))


def _whom(call: Call, spec: CommandSpec[Staff], arguments: Staff) -> int:
    user_id = arguments.user or _replied_user(call.message)
    if user_id is None:
        raise ModerationError(
            f"say who: /{spec.name} USER_ID, or reply /{spec.name} to their message.",
            example=spec.example,
        )
    return user_id


@answers(GRANT)
async def _grant(call: Call, arguments: Staff) -> None:
    user_id = _whom(call, GRANT, arguments)
    await asyncio.to_thread(call.service.grant, call.user_id, user_id)
    menu_set = await call.handlers.set_menu(call.context.bot, user_id, Role.MODERATOR)
    await call.message.reply_html(render_granted(user_id, menu_set))


@answers(REVOKE)
async def _revoke(call: Call, arguments: Staff) -> None:
    user_id = _whom(call, REVOKE, arguments)
    await asyncio.to_thread(call.service.revoke, call.user_id, user_id)
    try:
        await call.context.bot.delete_my_commands(scope=BotCommandScopeChat(user_id))
    except TelegramError as error:
        log.warning("could not reset the command menu of %s: %s", user_id, error)
    await call.message.reply_html(render_revoked(user_id))


def _replied_user(message: Message) -> int | None:
    """Whose message an admin replied to: its sender, or the person a forward came from."""
    replied = message.reply_to_message
    if replied is None:
        return None
    if isinstance(replied.forward_origin, MessageOriginUser):
        return replied.forward_origin.sender_user.id
    if replied.from_user is not None and not replied.from_user.is_bot:
        return replied.from_user.id
    return None
