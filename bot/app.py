"""The Telegram application: wiring handlers to the services, and running it."""

import logging
from typing import Any

from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeDefault, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.answering import AnswerService
from bot.handlers.user import UserHandlers
from config import Settings

log = logging.getLogger(__name__)

USER_COMMANDS = (
    BotCommand("start", "What this bot does"),
    BotCommand("help", "How to ask"),
    BotCommand("events", "Browse all events"),
    BotCommand("event", "One event's claims: /event SLUG"),
    BotCommand("sources", "Who made and reported the claims"),
    BotCommand("about", "What the statuses mean"),
)
GROUP_COMMANDS = (BotCommand("ask", "Ask about an event: /ask QUESTION"), *USER_COMMANDS[1:])

APOLOGY = "Sorry, something went wrong while answering. Please try again in a moment."


async def set_command_menus(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    await application.bot.set_my_commands(USER_COMMANDS, scope=BotCommandScopeDefault())
    await application.bot.set_my_commands(GROUP_COMMANDS, scope=BotCommandScopeAllGroupChats())


async def report_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with its update and apologise; the bot keeps running."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await update.effective_message.reply_text(APOLOGY)
        except Exception:  # the apology itself may fail (e.g. Telegram is down)
            log.warning("could not send the apology for update %s", update_id)


def build_application(
    settings: Settings, service: AnswerService
) -> Application[Any, Any, Any, Any, Any, Any]:
    if settings.token is None:
        raise ValueError("a bot token is needed to build the Telegram application")
    builder = (
        ApplicationBuilder()
        .token(settings.token.get_secret_value())
        .base_url(settings.bot_api_url)
        .post_init(set_command_menus)
        # Handlers run concurrently: a slow answer must not hold up other users.
        .concurrent_updates(True)
    )
    if settings.bot_api_file_url:
        builder = builder.base_file_url(settings.bot_api_file_url)
    application = builder.build()
    add_user_handlers(application, UserHandlers(service))
    application.add_error_handler(report_error)
    return application


def add_user_handlers(
    application: Application[Any, Any, Any, Any, Any, Any], handlers: UserHandlers
) -> None:
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    application.add_handlers(
        [
            CommandHandler("start", handlers.start),
            CommandHandler("help", handlers.help),
            CommandHandler("about", handlers.about),
            CommandHandler("sources", handlers.sources),
            CommandHandler("events", handlers.events),
            CommandHandler("event", handlers.event),
            CommandHandler("ask", handlers.ask),
            MessageHandler(private & filters.TEXT & ~filters.COMMAND, handlers.private_text),
            MessageHandler(groups & filters.TEXT & ~filters.COMMAND, handlers.group_text),
            CallbackQueryHandler(handlers.button),
            InlineQueryHandler(handlers.inline_query),
        ]
    )


def run_polling(settings: Settings, service: AnswerService) -> None:
    application = build_application(settings, service)
    log.info("claimbot is running; press Ctrl-C to stop")
    application.run_polling(allowed_updates=Update.ALL_TYPES)
