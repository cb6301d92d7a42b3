"""The Telegram application: wiring handlers to the services (`bot/tg/serve.py` runs it)."""

import asyncio
import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
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
from bot.chat_languages import ChatLanguages
from bot.follow_rendering import FOLLOW_COMMAND_MENU
from bot.follow_service import FollowService
from bot.freshness import StaffIds
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, Tr, language_of, translator
from bot.metrics import DATABASE_ERRORS
from bot.moderation.service import ModerationService
from bot.question_limit import QuestionLimit
from bot.tg.callbacks import Prefix, matches
from bot.tg.handlers.fallback import FallbackHandlers
from bot.tg.handlers.follow import FollowHandlers
from bot.tg.handlers.inbox import InboxHandlers
from bot.tg.handlers.language import LanguageHandlers
from bot.tg.handlers.moderator import ModeratorHandlers
from bot.tg.handlers.tipline import TiplineHandlers
from bot.tg.handlers.user import UserHandlers
from bot.tg.resilience import PatientRateLimiter
from bot.tg.transport import JsonBodyRequest, SendWindow
from bot.tg.update_processor import LoggedUpdateProcessor
from bot.tipline import rendering as tipline_rendering
from bot.tipline.recorder import QuestionRecorder
from bot.tipline.service import TiplineService
from bot.user_rendering import APOLOGY, ASK_COMMAND_MENU, UNAVAILABLE, USER_COMMAND_MENU
from config import Settings
from db.outage import is_database_outage

log = logging.getLogger(__name__)


def user_commands(tr: Tr) -> list[BotCommand]:
    menu = (*USER_COMMAND_MENU, *tipline_rendering.USER_COMMAND_MENU, *FOLLOW_COMMAND_MENU)
    return [BotCommand(command, tr.gettext(about)) for command, about in menu]


def group_commands(tr: Tr) -> list[BotCommand]:
    command, about = ASK_COMMAND_MENU
    return [BotCommand(command, tr.gettext(about)), *user_commands(tr)[1:]]


# Updates handled at once; the rest of a burst waits in the update queue.
MAX_CONCURRENT_UPDATES = 256


async def set_command_menus(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The command menus, in English for everyone and translated for users whose Telegram
    is in Ukrainian or Russian."""
    bot = application.bot
    for language in LANGUAGES:
        tr = translator(language)
        code = None if language == DEFAULT_LANGUAGE else language
        await bot.set_my_commands(
            user_commands(tr), scope=BotCommandScopeDefault(), language_code=code
        )
        await bot.set_my_commands(
            group_commands(tr), scope=BotCommandScopeAllGroupChats(), language_code=code
        )


async def report_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with its update and apologise; the bot keeps running."""
    update_id = update.update_id if isinstance(update, Update) else None
    outage = is_database_outage(context.error)
    if outage or isinstance(context.error, SQLAlchemyError):
        DATABASE_ERRORS.labels("unreachable" if outage else "refused").inc()
    if outage:
        # One line, not a traceback per question while the database is away.
        log.warning("database unreachable while handling update %s", update_id)
    else:
        log.error("error while handling update %s", update_id, exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        # The database may be what failed: the user's Telegram language, not their choice.
        user = update.effective_user
        tr = translator(language_of(user.language_code if user else None) or DEFAULT_LANGUAGE)
        try:
            await update.effective_message.reply_text(
                tr.gettext(UNAVAILABLE if outage else APOLOGY)
            )
        except Exception:  # the apology itself may fail (e.g. Telegram is down)
            log.warning("could not send the apology for update %s", update_id)


def build_application(
    settings: Settings,
    service: AnswerService,
    moderation: ModerationService,
    staff: StaffIds,
    tipline: TiplineService,
    follows: FollowService,
    languages: ChatLanguages,
    sent: SendWindow,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot's application; its messages into chats are counted in `sent`."""
    if settings.token is None:
        raise ValueError("a bot token is needed to build the Telegram application")
    # Moderators' menus are in English, the user commands in them too.
    english = tuple(user_commands(translator(DEFAULT_LANGUAGE)))
    moderator_handlers = ModeratorHandlers(moderation, english, staff)

    recorder = QuestionRecorder(tipline)

    async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await set_command_menus(application)
        await moderator_handlers.set_menus(application.bot)
        await asyncio.to_thread(tipline.purge)

    async def post_stop(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await recorder.flush()  # the last questions' records, before the process ends

    processor = LoggedUpdateProcessor(MAX_CONCURRENT_UPDATES)
    builder = (
        ApplicationBuilder()
        .token(settings.token.get_secret_value())
        .base_url(settings.bot_api_url)
        .post_init(post_init)
        .post_stop(post_stop)
        # Handlers run concurrently: a slow answer must not hold up other users.
        .concurrent_updates(processor)
        .rate_limiter(
            PatientRateLimiter(settings.rate_limit_per_second, sending=processor.sending, sent=sent)
        )
        .request(JsonBodyRequest())
        # One connection: only the poller long-polls, and it waits longer than a send.
        .get_updates_request(JsonBodyRequest(1))
        # Polling is bot.tg.polling's, which loses no update when the process is killed.
        .updater(None)
    )
    if settings.bot_api_file_url:
        builder = builder.base_file_url(settings.bot_api_file_url)
    application = builder.build()
    # First, so that a form's answers and moderator buttons reach it before the user handlers.
    add_moderator_handlers(application, moderator_handlers)
    inbox = InboxHandlers(
        tipline, moderation, service, moderator_handlers, settings.public_url, recorder
    )
    add_inbox_handlers(application, inbox)
    limit = QuestionLimit(settings.questions_per_minute)
    users = UserHandlers(
        service,
        limit,
        settings.public_url,
        tipline,
        recorder,
        languages,
        follows,
    )
    add_follow_handlers(application, FollowHandlers(follows))
    add_user_handlers(application, users, TiplineHandlers(tipline, recorder))
    add_fallback_handlers(application, FallbackHandlers(moderation, users.tr))
    application.add_error_handler(report_error)
    return application


# Before every other group: a private message may answer a form kept in the database.
FORM_GROUP = -1


def add_moderator_handlers(
    application: Application[Any, Any, Any, Any, Any, Any], handlers: ModeratorHandlers
) -> None:
    application.add_handlers(handlers.form_handlers(), group=FORM_GROUP)
    application.add_handlers(handlers.handlers())


def add_fallback_handlers(
    application: Application[Any, Any, Any, Any, Any, Any], handlers: FallbackHandlers
) -> None:
    """After every other handler: whatever they did not take gets one short reply."""
    application.add_handlers(
        [
            MessageHandler(filters.COMMAND, handlers.unknown_command),
            MessageHandler(
                filters.ChatType.PRIVATE & filters.ATTACHMENT,
                handlers.not_text,
            ),
        ]
    )


def add_inbox_handlers(
    application: Application[Any, Any, Any, Any, Any, Any], handlers: InboxHandlers
) -> None:
    """The moderators' inbox and figures, before the user handlers like other staff ones."""
    application.add_handlers(
        [
            CommandHandler("inbox", handlers.inbox),
            CommandHandler("answer", handlers.answer_command),
            CommandHandler("stats", handlers.stats),
            CallbackQueryHandler(handlers.inbox_page_button, pattern=matches(Prefix.INBOX_PAGE)),
            CallbackQueryHandler(handlers.item_button, pattern=matches(Prefix.INBOX_ITEM)),
            CallbackQueryHandler(handlers.action_button, pattern=matches(Prefix.INBOX_ACTION)),
            CallbackQueryHandler(handlers.stats_button, pattern=matches(Prefix.STATS)),
        ]
    )


def add_follow_handlers(
    application: Application[Any, Any, Any, Any, Any, Any], handlers: FollowHandlers
) -> None:
    application.add_handlers(
        [
            CommandHandler("following", handlers.following),
            CommandHandler("mute", handlers.mute),
            CommandHandler("unmute", handlers.unmute),
            CallbackQueryHandler(handlers.follow_button, pattern=matches(Prefix.FOLLOW)),
            CallbackQueryHandler(handlers.unfollow_button, pattern=matches(Prefix.UNFOLLOW)),
        ]
    )


# What a user sends that is a tip, not a question: a forward, a link, a captioned file.
TIPS = filters.ChatType.PRIVATE & (
    (filters.FORWARDED & (filters.TEXT | filters.CAPTION))
    | (filters.TEXT & (filters.Entity("url") | filters.Entity("text_link")))
    | ((filters.PHOTO | filters.Document.ALL) & filters.CAPTION)
)


def add_user_handlers(
    application: Application[Any, Any, Any, Any, Any, Any],
    handlers: UserHandlers,
    tips: TiplineHandlers,
) -> None:
    languages = LanguageHandlers(handlers)
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
            CommandHandler("tip", tips.tip_command),
            CommandHandler("forget", tips.forget),
            CommandHandler("language", languages.language_command),
            MessageHandler(TIPS & ~filters.COMMAND, tips.tip_message),
            MessageHandler(private & filters.TEXT & ~filters.COMMAND, handlers.private_text),
            MessageHandler(groups & filters.TEXT & ~filters.COMMAND, handlers.group_text),
            CallbackQueryHandler(handlers.show_event_button, pattern=matches(Prefix.SHOW_EVENT)),
            CallbackQueryHandler(handlers.open_event_button, pattern=matches(Prefix.OPEN_EVENT)),
            CallbackQueryHandler(handlers.card_page_button, pattern=matches(Prefix.CARD_PAGE)),
            CallbackQueryHandler(
                handlers.page_chooser_button, pattern=matches(Prefix.PAGE_CHOOSER)
            ),
            CallbackQueryHandler(handlers.about_page_button, pattern=matches(Prefix.ABOUT_PAGE)),
            CallbackQueryHandler(
                handlers.assessments_page_button, pattern=matches(Prefix.ASSESSMENTS_PAGE)
            ),
            CallbackQueryHandler(handlers.events_page_button, pattern=matches(Prefix.EVENTS_PAGE)),
            CallbackQueryHandler(handlers.example_button, pattern=matches(Prefix.EXAMPLE)),
            CallbackQueryHandler(
                handlers.none_of_these_button, pattern=matches(Prefix.NONE_OF_THESE)
            ),
            CallbackQueryHandler(tips.vote_button, pattern=matches(Prefix.FEEDBACK)),
            CallbackQueryHandler(tips.reason_button, pattern=matches(Prefix.FEEDBACK_REASON)),
            CallbackQueryHandler(languages.language_button, pattern=matches(Prefix.LANGUAGE)),
            # Last: forged, truncated or outdated data of any kind gets a clear answer.
            CallbackQueryHandler(handlers.stale_button),
            InlineQueryHandler(handlers.inline_query),
        ]
    )
