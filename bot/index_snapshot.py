"""The match index kept on disk between starts (`CLAIMBOT_INDEX_SNAPSHOT`).

At 100,000 events a start spends a minute or more building the index; read from a file it
takes seconds. The file names the database it was built from, the matching code that built
it and how far the audit log went then (`db.changes.LogPosition`): a start applies the
changes logged since, event by event (`AnswerService.resume`), and builds the index anew
when the file is not for this database and code, or what changed since cannot be told.
"""

import hashlib
import logging
import pickle
import sys
import tempfile
from pathlib import Path

import bot.matching
from bot.matching import Matcher
from db.changes import LogPosition

log = logging.getLogger(__name__)


def snapshot_key(database_url: str) -> str:
    """What a snapshot must have been written for: this database, by this matching code."""
    digest = hashlib.sha256(database_url.encode())
    digest.update(sys.version.encode())
    code = Path(bot.matching.__file__).parent
    for path in sorted(code.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def write_snapshot(path: Path, key: str, matcher: Matcher, position: LogPosition) -> None:
    """Write the matcher's index (not answering yet: it must not change meanwhile)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside and renamed: a start never reads half a file.
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False) as file:
            pickle.dump((key, position.newest, position.entries), file)
            matcher.save_index(file)
        Path(file.name).replace(path)
    except OSError as error:
        log.warning("match index snapshot %s not written: %s", path, error)


def read_snapshot(path: Path, key: str, matcher: Matcher) -> LogPosition | None:
    """Load the index from `path` into `matcher` if it was written for `key`; where in the
    audit log it was built, or None if there is no such file."""
    try:
        with path.open("rb") as file:
            written_for, newest, entries = pickle.load(file)
            if written_for != key:
                log.info("match index snapshot %s is for other data or code", path)
                return None
            matcher.load_index(file)
            return LogPosition(newest, entries)
    except FileNotFoundError:
        return None
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, AttributeError) as error:
        log.warning("match index snapshot %s unreadable, building the index: %s", path, error)
        return None
