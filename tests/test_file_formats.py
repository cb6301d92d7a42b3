"""Parsing data-set files: what a hostile or careless file gets instead of a crash.

Each is refused with a clear DataSetFileError, quickly and without the memory a naive
parse would take.
"""

import time

import pytest

from db.file_formats import DataSetFileError, dataset_from_bytes

LAUGHS = "\n".join(
    ["sources: []", "events: &a [x, x, x, x, x, x, x, x, x, x]"]
    + [f"x{n}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 10)}]" for n in range(5)]
    + ["claims: *f"]
)  # a million strings in a few hundred bytes (each level more multiplies them by ten)


def refused(data: bytes, name: str) -> str:
    started = time.monotonic()
    with pytest.raises(DataSetFileError) as error:
        dataset_from_bytes(data, name)
    assert time.monotonic() - started < 10
    return str(error.value)


def test_aliases_that_expand_past_the_file_are_refused() -> None:
    message = refused(LAUGHS.encode(), "laughs.yaml")
    assert "anchors and aliases" in message


def test_a_few_aliases_are_fine() -> None:
    text = "sources: &none []\nevents: *none\nclaims: []\n"
    assert dataset_from_bytes(text.encode(), "small.yaml").claims == []


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"[" * 1_000_000 + b"]" * 1_000_000, "deep.json"),
        (b"[" * 100_000 + b"]" * 100_000, "deep.yaml"),
        (b"a:\n" + b"".join(b" " * n + b"- \n" for n in range(1, 2000)), "deep-block.yaml"),
        (b"[" * 33 + b"]" * 33, "just-too-deep.json"),  # the limit is 32
    ],
    ids=["json-1e6", "yaml-flow-1e5", "yaml-block-2000", "json-33"],
)
def test_deep_nesting_is_refused_not_a_recursion_error(data: bytes, name: str) -> None:
    assert "nests lists and mappings" in refused(data, name)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b'{"sources": [], "events": [], "claims": [], "claims": []}', "twice.json"),
        (b"sources: []\nevents: []\nclaims: []\nclaims: []\n", "twice.yaml"),
    ],
    ids=["json", "yaml"],
)
def test_a_key_repeated_in_a_mapping_is_refused(data: bytes, name: str) -> None:
    assert "'claims' appears twice" in refused(data, name)
