"""The commands that do not change claims data through an action: undo, history, files, staff.

Each is a spec and typed arguments here; the Telegram handler registers the one function
that answers it beside it (`bot/tg/handlers/moderator.py`).
"""

from dataclasses import dataclass, replace
from enum import StrEnum

from bot.moderation.spec import TARGET, CommandArguments, CommandSpec, Kind, field_spec
from db.vocabulary import Role


class ExportFormat(StrEnum):
    YAML = "yaml"
    JSON = "json"


@dataclass(frozen=True)
class NoArguments(CommandArguments):
    pass


@dataclass(frozen=True)
class History(CommandArguments):
    target: str | None = None
    page: int | None = None


@dataclass(frozen=True)
class Export(CommandArguments):
    format: ExportFormat | None = None


@dataclass(frozen=True)
class Staff(CommandArguments):
    user: int | None = None  # None: the sender of the message the admin replied to


UNDO = CommandSpec("undo", "Revert your last change", "/undo", NoArguments, changes_data=False)
HISTORY = CommandSpec(
    "history",
    "Changes to a claim or event",
    "/history 12",
    History,
    (replace(TARGET, required=False), field_spec("page", Kind.NUMBER, "Which page?")),
    positional=("target",),
    changes_data=False,
)
IMPORT = CommandSpec(
    "import",
    "Import a data set (reply to a file)",
    "reply /import to a .yaml or .json file from /export",
    NoArguments,
    changes_data=False,
)
EXPORT = CommandSpec(
    "export",
    "Download the data set",
    "/export format=json",
    Export,
    (field_spec("format", Kind.CHOICE, "Which format?", choices=ExportFormat),),
    changes_data=False,
)
_USER = field_spec("user", Kind.NUMBER, "Their Telegram user id?")
GRANT = CommandSpec(
    "grant",
    "Make a user a moderator",
    "/grant 123456789 (or reply /grant to one of their messages)",
    Staff,
    (_USER,),
    positional=("user",),
    role=Role.ADMIN,
    changes_data=False,
)
REVOKE = CommandSpec(
    "revoke",
    "Remove a moderator",
    "/revoke 123456789",
    Staff,
    (_USER,),
    positional=("user",),
    role=Role.ADMIN,
    changes_data=False,
)
MODERATORS = CommandSpec(
    "moderators",
    "List the moderators",
    "/moderators",
    NoArguments,
    role=Role.ADMIN,
    changes_data=False,
)
SERVICE_COMMANDS = (UNDO, HISTORY, IMPORT, EXPORT, GRANT, REVOKE, MODERATORS)
