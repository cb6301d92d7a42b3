"""Telegram handlers for moderators: thin wrappers around ModerationService.

Permissions are checked before anything else; a user who may not run a command
gets one short refusal. Database work runs in a worker thread. A command sent
with arguments runs at once (`/delete` and `/import` ask first); sent bare it
starts a guided form that ends in a preview with a Save button. Open forms wait in the
database (`moderator_forms`) and previews too (`pending_changes`, under an id that the
buttons carry), so any replica, or the process after a restart, can continue them.
"""

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    Document,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.freshness import StaffIds
from bot.moderation.commands import COMMANDS
from bot.moderation.errors import ModerationError, NotAllowed, PendingGone
from bot.moderation.files import (
    LARGE_IMPORT_BYTES,
    LARGE_IMPORT_RECORDS,
    ImportPreview,
    check_import_file,
)
from bot.moderation.form_store import ExpiredForm
from bot.moderation.forms import Form
from bot.moderation.pending import EXPIRED
from bot.moderation.rendering import (
    CANCEL_MENU_LINE,
    CANCELLED,
    FORM_ENDED,
    NOTHING_TO_CANCEL,
    PREVIEW_GONE,
    PRIVATE_ONLY,
    STALE_BUTTON,
    render_error,
    render_form_expired,
    render_history,
    render_import_checking,
    render_import_preview,
    render_outcome,
    render_question,
    save_label,
)
from bot.moderation.service import ModerationService
from bot.moderation.service_commands import (
    IMPORT,
)
from bot.moderation.spec import CommandSpec, Kind
from bot.moderation.staff import allowed, refusal
from bot.rendering import escape
from bot.tg import callbacks
from bot.tg.callbacks import Prefix
from bot.tg.handlers.moderator_keyboards import confirm_markup, history_markup, question_markup
from bot.tg.handlers.moderator_replies import REPLIES, Call
from bot.tg.import_progress import ImportProgressMessage
from bot.tipline.rendering import INBOX_COMMAND_MENU
from db.vocabulary import Role

log = logging.getLogger(__name__)

# Commands that also work in groups, so an admin can reply /grant to someone's message there.
ANYWHERE = frozenset({"grant", "revoke"})
RECENT_EVENTS = 6  # offered as buttons where a form asks for an event
_COMMAND = re.compile(r"/(\w+)(?:@\w+)?\s*(.*)", re.DOTALL)

Handler = BaseHandler[Update, ContextTypes.DEFAULT_TYPE, Any]


def menu(user_commands: Sequence[BotCommand], role: Role) -> list[BotCommand]:
    """The command menu of a moderator's or admin's private chat."""
    commands = list(user_commands)
    commands += [
        BotCommand(spec.name, spec.description)
        for spec in COMMANDS.values()
        if allowed(role, spec.role)
    ]
    commands += [BotCommand(*entry) for entry in INBOX_COMMAND_MENU]
    commands.append(BotCommand("cancel", CANCEL_MENU_LINE))
    return commands


class ModeratorHandlers:
    def __init__(
        self, service: ModerationService, user_commands: Sequence[BotCommand], staff: StaffIds
    ) -> None:
        self.service = service
        self.user_commands = tuple(user_commands)
        self.staff = staff

    def form_handlers(self) -> list[Handler]:
        """Answers to an open form, in a group before every other handler.

        Whether a private message answers a form is known only from the database, so
        these look first and stop further handling when they took the message.
        """
        private = filters.ChatType.PRIVATE
        return [MessageHandler(private & filters.TEXT & ~filters.COMMAND, self.form_text)]

    def handlers(self) -> list[Handler]:
        """Registered before the user handlers, so moderator commands and buttons come first."""
        return [
            *(CommandHandler(name, self.command) for name in COMMANDS),
            CommandHandler("cancel", self.cancel),
            MessageHandler(
                filters.Document.ALL & filters.CaptionRegex(r"^/import(@\w+)?(\s|$)"),
                self.import_caption,
            ),
            CallbackQueryHandler(self.form_button, pattern=callbacks.matches(Prefix.FORM_ANSWER)),
            CallbackQueryHandler(self.form_back, pattern=callbacks.matches(Prefix.FORM_BACK)),
            CallbackQueryHandler(self.save_button, pattern=callbacks.matches(Prefix.SAVE)),
            CallbackQueryHandler(self.cancel_button, pattern=callbacks.matches(Prefix.CANCEL)),
            CallbackQueryHandler(
                self.history_button, pattern=callbacks.matches(Prefix.HISTORY_PAGE)
            ),
        ]

    # ------------------------------------------------------------ menus

    async def set_menus(self, bot: Bot) -> None:
        """At start: the moderator commands in the menus of admins and moderators."""
        for user_id, role in await asyncio.to_thread(self.service.staff):
            await self.set_menu(bot, user_id, role)
        # Read before the first message: a burst of questions would each read them.
        await asyncio.to_thread(self.staff.read)

    async def set_menu(self, bot: Bot, user_id: int, role: Role) -> bool:
        try:
            await bot.set_my_commands(
                menu(self.user_commands, role), scope=BotCommandScopeChat(user_id)
            )
        except TelegramError as error:
            # Telegram knows no private chat until the user has started the bot.
            log.warning("could not set the command menu of %s: %s", user_id, error)
            return False
        return True

    # ------------------------------------------------------------ commands

    async def _permitted(self, message: Message, user_id: int, spec: CommandSpec[Any]) -> bool:
        role = await asyncio.to_thread(self.service.role, user_id)
        if not allowed(role, spec.role):
            await message.reply_html(escape(refusal(spec.role)))
            return False
        if message.chat.type != ChatType.PRIVATE and spec.name not in ANYWHERE:
            await message.reply_html(PRIVATE_ONLY)
            return False
        return True

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        match = _COMMAND.match(message.text or "") if message else None
        if message is None or user is None or match is None:
            return
        spec = COMMANDS[match.group(1).lower()]
        if not await self._permitted(message, user.id, spec):
            return
        if self.staff.known(user.id) is False:
            # Granted by another process a moment ago (the index keeper had not seen it yet):
            # this command may open a form, whose answers must not pass for questions.
            self.staff.forget()
        # A new command ends a form left open, here or on another replica.
        await asyncio.to_thread(self.service.forms.drop, user.id)
        rest = match.group(2)
        try:
            if spec.changes_data and not rest.strip():
                await self._ask(message, user.id, Form(spec))
                return
            await self._run(message, context, user.id, spec, rest)
        except ModerationError as error:
            await message.reply_html(render_error(error))

    async def _run(
        self,
        message: Message,
        context: ContextTypes.DEFAULT_TYPE,
        user_id: int,
        spec: CommandSpec[Any],
        rest: str,
    ) -> None:
        reply = REPLIES.get(spec.name)
        if reply is not None:
            await reply(Call(self, message, context, user_id), rest)
            return
        values = spec.bind(rest)
        if spec.confirms:
            await self._preview(message, user_id, spec.name, values)
        else:
            result = await asyncio.to_thread(self.service.execute, user_id, spec.name, values)
            await message.reply_html(render_outcome(result))

    async def _preview(
        self,
        message: Message,
        user_id: int,
        command: str,
        values: Mapping[str, str],
    ) -> None:
        outcome, pending_id = await asyncio.to_thread(
            self.service.preview, user_id, command, values
        )
        save = save_label(command)
        await message.reply_html(
            render_outcome(outcome), reply_markup=confirm_markup(pending_id, save)
        )

    # ------------------------------------------------------------ import

    async def import_caption(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        if not await self._permitted(message, user.id, IMPORT):
            return
        try:
            await self.import_file(message, user.id, message.document)
        except ModerationError as error:
            await message.reply_html(render_error(error))

    async def import_file(self, message: Message, user_id: int, document: Document | None) -> None:
        if document is None:
            raise ModerationError(
                "send /import in reply to a data set file, or as the caption of the file.",
                example=IMPORT.example,
            )
        name = document.file_name or "data set"
        # Checked before downloading: Telegram serves bots files of up to 20 MB only.
        check_import_file(name, document.file_size)
        file = await document.get_file()
        data = bytes(await file.download_as_bytearray())
        if len(data) < LARGE_IMPORT_BYTES:
            preview = await asyncio.to_thread(self.service.preview_import, user_id, data, name)
            text, markup = await self._preview_reply(user_id, preview)
            await message.reply_html(text, reply_markup=markup)
            return
        # A large file takes a while: one message shows the progress, then the outcome.
        status = await message.reply_html(render_import_checking(name))
        progress = ImportProgressMessage(asyncio.get_running_loop(), lambda t: _edit(status, t))
        try:
            preview = await asyncio.to_thread(
                self.service.preview_import, user_id, data, name, progress
            )
            text, markup = await self._preview_reply(user_id, preview)
        except ModerationError as error:
            text, markup = render_error(error), None
        await progress.finished()
        await _edit(status, text, markup)

    async def _preview_reply(
        self, user_id: int, preview: ImportPreview
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        markup = None
        if preview.has_changes and not preview.rejected:
            pending_id = await asyncio.to_thread(self.service.remember_import, user_id, preview)
            markup = confirm_markup(pending_id)
        return render_import_preview(preview), markup

    # ------------------------------------------------------------ forms

    async def _ask(
        self,
        message: Message,
        user_id: int,
        form: Form,
        matching: Sequence[str] = (),
    ) -> None:
        """Ask the form's next question, keeping the form for the answer; or preview it.

        An event is offered as buttons: the events `matching` what was typed, else the
        most recently changed ones.
        """
        question = form.question()
        if question is None:
            await self._finish(message, user_id, form)
            return
        options: Sequence[tuple[str, str]] = [(slug, slug) for slug in matching]
        if not options and form.needs_lookup() == Kind.EVENT:
            options = await asyncio.to_thread(self.service.recent_events, user_id, RECENT_EVENTS)
        await asyncio.to_thread(self.service.forms.save, user_id, form)
        await message.reply_html(
            render_question(form.spec.name, question),
            reply_markup=question_markup(question, form.step, [(t, slug) for slug, t in options]),
        )

    async def start_form(self, message: Message, user_id: int, command: str) -> None:
        """Start a command's guided form, ending any other (the inbox's "New event")."""
        await asyncio.to_thread(self.service.forms.drop, user_id)
        await self._ask(message, user_id, Form(COMMANDS[command]))

    async def _finish(self, message: Message, user_id: int, form: Form) -> None:
        try:
            await self._preview(message, user_id, form.spec.name, form.values)
        except ModerationError as error:
            await message.reply_html(render_error(error))
            if error.key and form.ask_again(error.key):
                await self._ask(message, user_id, form)
                return
        await asyncio.to_thread(self.service.forms.drop, user_id)

    async def _take_answer(
        self, message: Message, user_id: int, form: Form, raw: str | None
    ) -> None:
        kind = form.needs_lookup()
        try:
            question = form.question()
            version = None
            if kind is not None and raw and question is not None:
                found = await asyncio.to_thread(
                    self.service.reference, user_id, kind, raw, question.key
                )
                if question.key == form.target and "version" in form.spec.by_key:
                    version = str(found.version)
                raw = found.text
            form.answer(raw, version)
        except ModerationError as error:
            await message.reply_html(render_error(error))
            if kind == Kind.EVENT:
                await self._ask(message, user_id, form, error.suggestions)
                return
        await self._ask(message, user_id, form)

    async def _pressed_form(self, query: CallbackQuery, message: Message, step: int) -> Form | None:
        """The open form a form button belongs to, with the press answered; else None."""
        found = await asyncio.to_thread(self.service.forms.load, query.from_user.id)
        if not isinstance(found, Form):
            await query.answer(FORM_ENDED)
            if found is not None:
                expired = render_form_expired(found.command, self.service.forms.timeout)
                await message.reply_html(expired)
            return None
        if found.step != step:
            # A button of an earlier question, or a press delivered again after a restart.
            await query.answer(STALE_BUTTON)
            return None
        await query.answer()
        await _drop_buttons(message)
        return found

    async def form_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A private message that answers an open (or expired) form; others go on unhandled."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.text is None:
            return
        # Only staff have forms: everyone else's questions go on without a query.
        staff = self.staff.known(user.id)
        if staff is None:
            staff = user.id in await asyncio.to_thread(self.staff.read)
        if not staff:
            return
        found = await asyncio.to_thread(self.service.forms.load, user.id)
        if found is None:
            return
        if isinstance(found, ExpiredForm):
            expired = render_form_expired(found.command, self.service.forms.timeout)
            await message.reply_html(expired)
        else:
            await self._take_answer(message, user.id, found, message.text)
        raise ApplicationHandlerStop

    async def form_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or not isinstance(query.message, Message):
            return
        pressed = callbacks.parse_form_answer(query.data)
        if pressed is None:
            await query.answer(STALE_BUTTON)
            return
        form = await self._pressed_form(query, query.message, pressed.step)
        if form is not None:
            await self._take_answer(query.message, query.from_user.id, form, pressed.value)

    async def form_back(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or not isinstance(query.message, Message):
            return
        step = callbacks.parse_number(query.data, Prefix.FORM_BACK)
        if step is None:
            await query.answer(STALE_BUTTON)
            return
        form = await self._pressed_form(query, query.message, step)
        if form is not None:
            form.back()
            await self._ask(query.message, query.from_user.id, form)

    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        dropped = await asyncio.to_thread(self.service.forms.drop, user.id)
        await message.reply_html(CANCELLED if dropped else NOTHING_TO_CANCEL)

    # ------------------------------------------------------------ buttons

    async def save_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Save on a preview; the pending change may come from any replica."""
        query = update.callback_query
        if query is None or not isinstance(query.message, Message):
            return
        pending_id = callbacks.parse_number(query.data, Prefix.SAVE)
        if pending_id is None:
            await query.answer(STALE_BUTTON)
            return
        message = query.message
        # An import writes for a while: its preview shows the progress (and loses its
        # buttons) until the outcome replaces it.
        progress = ImportProgressMessage(
            asyncio.get_running_loop(), lambda t: _edit(message, t), LARGE_IMPORT_RECORDS
        )
        try:
            result = await asyncio.to_thread(
                self.service.confirm, query.from_user.id, pending_id, progress
            )
            text = render_outcome(result)
        except (NotAllowed, PendingGone) as error:
            # Another user's button, or a second press: say so, and leave the message alone.
            await query.answer(_sentence(error.problem)[:190], show_alert=True)
            if error.problem == EXPIRED:
                await _edit(query.message, render_error(error))
            return
        except ModerationError as error:
            text = render_error(error)
        await progress.finished()
        await query.answer()
        await _edit(message, text)

    async def cancel_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or not isinstance(query.message, Message):
            return
        pending_id = callbacks.parse_number(query.data, Prefix.CANCEL)
        if pending_id is None:
            await query.answer(STALE_BUTTON)
        elif await asyncio.to_thread(self.service.discard, query.from_user.id, pending_id):
            await query.answer()
            await _edit(query.message, CANCELLED)
        else:
            await query.answer(PREVIEW_GONE)

    async def history_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or not isinstance(query.message, Message):
            return
        pressed = callbacks.parse_history_page(query.data)
        if pressed is None:
            await query.answer(STALE_BUTTON)
            return
        try:
            page = await asyncio.to_thread(
                self.service.history_of,
                query.from_user.id,
                pressed.entity,
                pressed.entity_id,
                pressed.page,
            )
        except ModerationError as error:
            await query.answer(error.problem[:190])
            return
        await query.answer()
        await _edit(query.message, render_history(page), history_markup(page))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


async def _drop_buttons(message: Message) -> None:
    """An answered question loses its buttons, so an old choice cannot be pressed again."""
    try:
        await message.edit_reply_markup(reply_markup=None)
    except BadRequest as error:
        if "not modified" not in error.message:
            raise


async def _edit(message: Message, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    try:
        await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in error.message:
            raise
