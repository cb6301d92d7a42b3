"""Data-set files a moderator exchanges with the bot: the export sent, the import checked."""

from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

from bot.moderation.errors import ModerationError
from bot.moderation.service_commands import IMPORT

if TYPE_CHECKING:
    from db.dataset_schema import DataSet

# Telegram's Bot API lets a bot download files up to 20 MB; larger data sets are imported
# by the operator with `claimbot import`, up to CLAIMBOT_IMPORT_MAX_MB.
MAX_IMPORT_BYTES = 20 * 2**20
# Imports from this size (about 3,000 records) show their progress while they run; smaller
# ones are done in a few seconds.
LARGE_IMPORT_BYTES = 2**20
LARGE_IMPORT_RECORDS = 3000


@dataclass(frozen=True)
class ExportFile:
    name: str
    content: bytes


@dataclass(frozen=True)
class ImportPreview:
    dataset: "DataSet"
    summary: str
    rejected: bool
    has_changes: bool
    followers: int = 0  # how many chats saving it would tell of changed claims


def check_import_file(name: str, size: int | None) -> None:
    """Refuse a file by its name and size, before anyone downloads or parses it."""
    example = IMPORT.example
    if PurePath(name).suffix.lower() == ".csv":
        raise ModerationError(
            "CSV files cannot be imported: the CSV export has one row per claim and leaves "
            "out aliases, links and status histories, so importing it would lose data. "
            "Send the YAML or JSON file that /export makes.",
            example=example,
        )
    if size is not None and size > MAX_IMPORT_BYTES:
        raise ModerationError(
            f"the file is larger than {MAX_IMPORT_BYTES // 2**20} MB, the most Telegram lets "
            "a bot download. Split it into smaller files, or ask the operator to run "
            "`claimbot import FILE` on the server, which takes larger files.",
            example=example,
        )
