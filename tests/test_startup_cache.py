"""The start-up cache: word lists and the gazetteer are built once, kept on disk, rebuilt
when unreadable, and older copies do not pile up."""

import logging
from pathlib import Path

import pytest

from bot.matching import cache


@pytest.fixture
def directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLAIMBOT_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_a_value_is_built_once_and_then_read_from_disk(directory: Path) -> None:
    builds: list[int] = []

    def build() -> frozenset[str]:
        builds.append(1)
        return frozenset({"makiivka", "kramatorsk"})

    first = cache.cached("words", build)
    again = cache.cached("words", build)
    assert first == again == frozenset({"makiivka", "kramatorsk"})
    assert len(builds) == 1
    assert len(list(directory.glob("words-*.pickle"))) == 1


def test_an_unreadable_copy_is_rebuilt_with_a_warning(
    directory: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache.cached("words", lambda: frozenset({"one"}))
    (stored,) = directory.glob("words-*.pickle")
    stored.write_bytes(b"not a pickle")
    with caplog.at_level(logging.WARNING):
        assert cache.cached("words", lambda: frozenset({"two"})) == frozenset({"two"})
    assert "unreadable" in caplog.text
    assert cache.cached("words", lambda: frozenset({"three"})) == frozenset({"two"})


def test_copies_made_for_older_code_are_deleted_when_a_new_one_is_written(
    directory: Path,
) -> None:
    older = directory / "words-0123456789abcdef.pickle"
    older.write_bytes(b"made by older code")
    other = directory / "gazetteer-0123456789abcdef.pickle"
    other.write_bytes(b"another cache")
    cache.cached("words", lambda: frozenset({"new"}))
    assert not older.exists()
    assert other.exists()
    assert len(list(directory.glob("words-*.pickle"))) == 1
