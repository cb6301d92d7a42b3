"""The `claimbot` command line: set up the database, ask questions, run the bot, move data."""

import argparse
import contextlib
import datetime as dt
import json
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from platformdirs import user_data_dir
from sqlalchemy.exc import OperationalError

from bot.answering import Answer, AnswerService
from bot.i18n import LANGUAGES, Language, Tr, reply_language, translator
from bot.rendering import (
    help_text,
    html_to_text,
    render_about,
    render_events_page,
    render_sources,
)
from bot.runtime import DatabaseNotReady, Runtime, configure_logging
from bot.user_rendering import (
    ASK_USAGE,
    CHAT_GREETING,
    CHOOSE_A_NUMBER,
    EVENT_USAGE,
    UNKNOWN_COMMAND,
    render_unknown_event,
)
from config import SettingsError, load_settings
from db.bootstrap import initialise
from db.engine import unit_of_work
from db.migrate import upgrade
from db.progress import Phase, PhaseClock

LANG_HELP = "the language of the replies (default: the question's, else English)"


class CommandError(Exception):
    """A failure explained to the user in one line; the command exits with status 1."""


def prepare(ctx: Runtime) -> None:
    if ctx.ensure_ready():
        print("Set up a new database with the bundled seed data.", file=sys.stderr)


# ---------------------------------------------------------------- commands


def cmd_init(ctx: Runtime, _args: argparse.Namespace) -> None:
    result = initialise(ctx.engine, ctx.sessions)
    print("Database is up to date.")
    print(result.summary)


def cmd_db_upgrade(ctx: Runtime, _args: argparse.Namespace) -> None:
    upgrade(ctx.engine)
    print("Database schema is up to date.")


def read_questions(args: Sequence[str], stdin: TextIO) -> Iterator[str]:
    if args:
        yield " ".join(args)
        return
    for line in stdin:
        if line.strip():
            yield line.rstrip("\n")


def cmd_ask(ctx: Runtime, args: argparse.Namespace) -> None:
    prepare(ctx)
    service = ctx.answer_service()
    for question in read_questions(args.question, sys.stdin):
        answer = service.ask(question, reply_language(args.lang, question, None))
        if args.json:
            print(json.dumps(answer.to_json(), ensure_ascii=False))
        else:
            print(answer.text(), end="\n\n")


class TerminalChat:
    """A chat in the terminal that answers exactly as the bot does, commands included:
    the same service and the same rendering, as plain text. It answers in `language`, or,
    without one, in the language of each question (English for commands)."""

    def __init__(
        self, service: AnswerService, stdout: TextIO, language: Language | None = None
    ) -> None:
        self.service, self.stdout, self.language = service, stdout, language
        self.choices: list[str] = []  # slugs a number picks, after an ambiguous question
        self.tr: Tr = translator(reply_language(language, None, None))

    def say(self, markup: str) -> None:
        print(html_to_text(markup), file=self.stdout)

    def reply(self, line: str) -> None:
        command, _, argument = line.partition(" ")
        argument = argument.strip()
        self.tr = translator(reply_language(self.language, line, None))
        tr = self.tr
        if line.isascii() and line.isdigit() and 1 <= int(line) <= len(self.choices):
            self.answer(self.service.show_event(self.choices[int(line) - 1], tr.language))
        elif command in ("/start", "/help"):
            self.say(help_text(tr, "claimbot"))
        elif command == "/about":
            self.say(render_about(tr))
        elif command == "/sources":
            for part in render_sources(self.service.sources(), tr):
                self.say(part)
        elif command == "/events":
            self.say(render_events_page(self.service.events(tr.language), 0, 1, tr))
        elif command == "/event":
            self.event(argument)
        elif command == "/ask" and argument:
            self.answer(self.service.ask(argument, tr.language))
        elif command == "/ask":
            self.say(tr.gettext(ASK_USAGE))
        elif command.startswith("/"):
            self.say(tr.gettext(UNKNOWN_COMMAND))
        else:
            self.answer(self.service.ask(line, tr.language))

    def event(self, slug: str) -> None:
        if not slug:
            self.say(self.tr.gettext(EVENT_USAGE))
            return
        answer = self.service.show_event(slug.lower(), self.tr.language)
        if answer.event is not None:
            self.answer(answer)
            return
        suggestions = self.service.suggest(slug)
        self.say(render_unknown_event(self.tr, slug, bool(suggestions)))
        self.offer([c.slug for c in suggestions], [c.title for c in suggestions])

    def answer(self, answer: Answer) -> None:
        print(answer.text(), file=self.stdout)
        if answer.event is None:
            self.offer([c.slug for c in answer.candidates], [c.title for c in answer.candidates])
        else:
            self.choices = []

    def offer(self, slugs: list[str], titles: list[str]) -> None:
        """Numbered choices in place of the bot's buttons."""
        self.choices = slugs
        for number, title in enumerate(titles, start=1):
            print(f"  [{number}] {title}", file=self.stdout)
        if slugs:
            print(self.tr.gettext(CHOOSE_A_NUMBER), file=self.stdout)


def _history_file() -> Path:
    return Path(user_data_dir("claimbot", appauthor=False)) / "chat_history"


def terminal_chat(
    service: AnswerService, stdin: TextIO, stdout: TextIO, language: Language | None = None
) -> None:
    """Chat until end of input: with line editing and history at a terminal; reading a
    pipe, each question is echoed before its answer, as a transcript."""
    chat = TerminalChat(service, stdout, language)
    print(chat.tr.gettext(CHAT_GREETING), file=stdout)
    interactive = stdin.isatty() and stdout.isatty()
    if interactive:
        import readline  # line editing and history for input(), at a terminal only

        history = _history_file()
        with contextlib.suppress(OSError):
            readline.read_history_file(history)
    while True:
        if interactive:
            try:
                line = input("> ")
            except EOFError:
                print(file=stdout)
                break
        else:
            line = stdin.readline()
            if not line:
                break
        question = line.strip()
        if not question:
            continue
        if not interactive:
            print(f"> {question}", file=stdout)
        chat.reply(question)
        print(file=stdout)
    if interactive:
        with contextlib.suppress(OSError):
            history.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(history)


def cmd_run(ctx: Runtime, args: argparse.Namespace) -> None:
    webhook = args.webhook or ctx.settings.webhook
    if webhook:
        # Imported here: the web server and its dependencies would slow every other command.
        from bot.tg.webhook import check_webhook_settings

        check_webhook_settings(ctx.settings)  # before the slow start, not after it
    if ctx.settings.token is None:
        # The chat is the screen: only warnings and errors may interrupt it.
        logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
        prepare(ctx)
        terminal_chat(ctx.answer_service(), sys.stdin, sys.stdout, args.lang)
        print(
            "No CLAIMBOT_TOKEN is set, so this was the terminal chat. To serve Telegram users, "
            "get a token from @BotFather and run: CLAIMBOT_TOKEN=... claimbot run",
            file=sys.stderr,
        )
        return
    prepare(ctx)
    service = ctx.answer_service()
    from bot.tg.serve import serve

    serve(ctx, service, webhook=webhook)


def cmd_web(ctx: Runtime, _args: argparse.Namespace) -> None:
    prepare(ctx)
    service = ctx.answer_service()
    # Imported here, as the Telegram edge is: other commands need neither.
    from bot.web.server import serve_web

    serve_web(ctx, service)


# The data-set commands import their file formats and importer inside: loading them (pydantic
# schemas, YAML) would slow `claimbot ask` and `claimbot run`, which never need them.


def cmd_import(ctx: Runtime, args: argparse.Namespace) -> None:
    from db.file_formats import read_dataset
    from db.heap import import_heap
    from db.import_plan import plan_import
    from db.import_write import apply_import
    from db.outbox import record_changes

    # An import brings its own data: the schema is needed, the seed is not.
    ctx.ensure_schema()
    line = ProgressLine(sys.stderr)
    with import_heap() as heap:
        dataset = read_dataset(
            Path(args.file), max_bytes=ctx.settings.import_max_mb * 2**20, progress=line.show
        )
        heap.built()
        # Planning only reads: on SQLite the write lock is taken by the first write, so
        # answers and other writers wait only while the changes are written.
        with unit_of_work(ctx.sessions) as session:
            plan = plan_import(session, dataset, progress=line.show)
            line.end()
            print(plan.summary())
            if plan.rejected:
                raise CommandError("nothing was imported: fix the rejected records and try again")
            if args.dry_run or not plan.has_changes:
                print("Nothing written." if args.dry_run else "Nothing to change.")
                return
            changes = apply_import(
                session, plan, actor=f"import:{Path(args.file).name}", progress=line.show
            )
            # Followers are told of an imported change as of a moderator's one.
            quiet = dt.timedelta(seconds=ctx.settings.follow_quiet_seconds)
            record_changes(session, changes, quiet, silent=False)
            line.end()
    print("Imported.")


class ProgressLine:
    """An import's progress on standard error: one line rewritten in place at a terminal,
    else a plain line now and then (a log gets no carriage returns)."""

    EVERY_SECONDS = 5.0

    def __init__(self, out: TextIO) -> None:
        self.out, self.clock = out, PhaseClock()
        self.at_terminal = out.isatty()
        self.shown_at, self.phase = 0.0, Phase.READING
        self.open = False

    def show(self, phase: Phase, done: int, total: int) -> None:
        from bot.moderation.rendering import render_import_progress  # see cmd_import

        text = render_import_progress(phase, done, total, self.clock.remaining(phase, done, total))
        if self.at_terminal:
            print(f"\r{text}\x1b[K", end="", file=self.out, flush=True)
            self.open = True
        elif (
            phase != self.phase
            or done >= total
            or time.monotonic() - self.shown_at >= self.EVERY_SECONDS
        ):
            self.shown_at, self.phase = time.monotonic(), phase
            print(text, file=self.out, flush=True)

    def end(self) -> None:
        if self.open:
            print(file=self.out)
            self.open = False


def cmd_export(ctx: Runtime, args: argparse.Namespace) -> None:
    from db.export_formats import claim_reviews, claims_to_csv
    from db.file_formats import dataset_to_text
    from db.import_export import export_dataset

    prepare(ctx)
    with unit_of_work(ctx.sessions) as session:
        dataset = export_dataset(session)
    if args.format == "csv":
        text = claims_to_csv(dataset)
    elif args.format == "claimreview":
        settings = ctx.settings
        if not (settings.public_url and settings.organisation):
            raise CommandError(
                "a ClaimReview names its public page and its author: set CLAIMBOT_PUBLIC_URL "
                "(e.g. https://claims.example.org) and CLAIMBOT_ORGANISATION (who runs the bot)"
            )
        reviews = claim_reviews(dataset, settings.public_url, settings.organisation)
        text = json.dumps(reviews, ensure_ascii=False, indent=2) + "\n"
    else:
        text = dataset_to_text(dataset, args.format)
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"Wrote {args.output}.", file=sys.stderr)


# ---------------------------------------------------------------- entry point


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="claimbot",
        description="Answers questions about contested events with every competing claim.",
        epilog="Settings come from CLAIMBOT_* environment variables or a .env file.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="migrate the database and load the seed data")
    init.set_defaults(handler=cmd_init)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_commands.add_parser("upgrade", help="run the migrations").set_defaults(
        handler=cmd_db_upgrade
    )

    ask = commands.add_parser("ask", help="answer a question (or one per line from standard input)")
    ask.add_argument("question", nargs="*", help="the question; omit to read standard input")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("--lang", choices=LANGUAGES, help=LANG_HELP)
    ask.set_defaults(handler=cmd_ask)

    run = commands.add_parser(
        "run", help="run the Telegram bot (with no token: a chat in the terminal)"
    )
    run.add_argument("--lang", choices=LANGUAGES, help=LANG_HELP)
    run.add_argument(
        "--webhook",
        action="store_true",
        help="serve Telegram's webhook (CLAIMBOT_WEBHOOK_*) instead of polling",
    )
    run.set_defaults(handler=cmd_run)

    web = commands.add_parser(
        "web",
        help="serve the public web site and JSON API (CLAIMBOT_WEB_HOST, CLAIMBOT_WEB_PORT)",
    )
    web.set_defaults(handler=cmd_web)

    imp = commands.add_parser("import", help="import a JSON or YAML data set")
    imp.add_argument("file", help="the data set file (.json, .yaml or .yml)")
    imp.add_argument("--dry-run", action="store_true", help="check and summarise, write nothing")
    imp.set_defaults(handler=cmd_import)

    exp = commands.add_parser("export", help="export the data set")
    exp.add_argument(
        "--format",
        choices=["yaml", "json", "csv", "claimreview"],
        default="yaml",
        help="yaml/json: the full data set (re-importable); csv: one row per claim; "
        "claimreview: schema.org ClaimReview JSON-LD of assessed claims",
    )
    exp.add_argument("-o", "--output", help="file to write (default: standard output)")
    exp.set_defaults(handler=cmd_export)
    return parser


def data_set_file_error() -> type[Exception]:
    """Only a data-set command can raise it, and an except clause is evaluated only when an
    exception reaches it, so the file formats load on that path alone."""
    from db.file_formats import DataSetFileError

    return DataSetFileError


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        ctx = Runtime.from_settings(load_settings())
        configure_logging(ctx.settings)
        args.handler(ctx, args)
    except SettingsError as error:
        print(f"claimbot: invalid setting {error}", file=sys.stderr)
        return 2
    except (CommandError, DatabaseNotReady, data_set_file_error()) as error:
        print(f"claimbot: {error}", file=sys.stderr)
        return 1
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        print(f"claimbot: cannot use the database: {reason}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
