"""The `claimbot` command line: set up the database, ask questions, run the bot, move data."""

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import OperationalError

from bot.answering import AnswerService
from bot.runtime import DatabaseNotReady, Runtime, configure_logging
from config import SettingsError, load_settings
from db.bootstrap import initialise
from db.engine import unit_of_work
from db.file_formats import (
    DataSetFileError,
    claim_reviews,
    claims_to_csv,
    dataset_to_text,
    read_dataset,
)
from db.import_export import apply_import, export_dataset, plan_import
from db.migrate import upgrade


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
        answer = service.ask(question)
        if args.json:
            print(json.dumps(answer.to_json(), ensure_ascii=False))
        else:
            print(answer.text(), end="\n\n")


def terminal_chat(service: AnswerService, stdin: TextIO, stdout: TextIO) -> None:
    """A chat in the terminal that answers exactly as the bot would, until end of input."""
    interactive = stdin.isatty()
    print(
        "claimbot: ask about an event (e.g. “how many died at Makiivka?”). Press Ctrl-D to quit.",
        file=stdout,
    )
    choices: list[str] = []
    while True:
        if interactive:
            print("> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            break
        question = line.strip()
        if not question:
            continue
        if question.isdigit() and 1 <= int(question) <= len(choices):
            answer = service.show_event(choices[int(question) - 1])
        else:
            answer = service.ask(question)
        print(answer.text(), file=stdout)
        choices = [c.slug for c in answer.candidates] if answer.event is None else []
        for number, candidate in enumerate(answer.candidates if choices else (), start=1):
            print(f"  [{number}] {candidate.title}", file=stdout)
        if choices:
            print("Type a number to see that event.", file=stdout)
        print(file=stdout)


def cmd_run(ctx: Runtime, args: argparse.Namespace) -> None:
    webhook = args.webhook or ctx.settings.webhook
    if webhook:
        # Imported here: the web server and its dependencies would slow every other command.
        from bot.tg.webhook import check_webhook_settings

        check_webhook_settings(ctx.settings)  # before the slow start, not after it
    prepare(ctx)
    service = ctx.answer_service()
    if ctx.settings.token is None:
        terminal_chat(service, sys.stdin, sys.stdout)
        print(
            "No CLAIMBOT_TOKEN is set, so this was the terminal chat. To serve Telegram users, "
            "get a token from @BotFather and run: CLAIMBOT_TOKEN=... claimbot run",
            file=sys.stderr,
        )
        return
    from bot.tg.serve import serve

    serve(ctx, service, webhook=webhook)


def cmd_import(ctx: Runtime, args: argparse.Namespace) -> None:
    # An import brings its own data: the schema is needed, the seed is not.
    ctx.ensure_schema()
    dataset = read_dataset(Path(args.file))
    with unit_of_work(ctx.sessions) as session:
        plan = plan_import(session, dataset)
        print(plan.summary())
        if plan.rejected:
            raise CommandError("nothing was imported: fix the rejected records and try again")
        if args.dry_run or not plan.has_changes:
            print("Nothing written." if args.dry_run else "Nothing to change.")
            return

        def progress(done: int, total: int) -> None:
            print(f"\rimporting: {done}/{total} records", end="", file=sys.stderr, flush=True)

        apply_import(session, plan, actor=f"import:{Path(args.file).name}", progress=progress)
        print(file=sys.stderr)
    print("Imported.")


def cmd_export(ctx: Runtime, args: argparse.Namespace) -> None:
    prepare(ctx)
    with unit_of_work(ctx.sessions) as session:
        dataset = export_dataset(session)
    if args.format == "csv":
        text = claims_to_csv(dataset)
    elif args.format == "claimreview":
        text = json.dumps(claim_reviews(dataset), ensure_ascii=False, indent=2) + "\n"
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
    ask.set_defaults(handler=cmd_ask)

    run = commands.add_parser(
        "run", help="run the Telegram bot (with no token: a chat in the terminal)"
    )
    run.add_argument(
        "--webhook",
        action="store_true",
        help="serve Telegram's webhook (CLAIMBOT_WEBHOOK_*) instead of polling",
    )
    run.set_defaults(handler=cmd_run)

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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        ctx = Runtime.from_settings(load_settings())
        configure_logging(ctx.settings)
        args.handler(ctx, args)
    except SettingsError as error:
        print(f"claimbot: invalid setting {error}", file=sys.stderr)
        return 2
    except (CommandError, DatabaseNotReady, DataSetFileError) as error:
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
