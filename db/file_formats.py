"""Reading and writing data-set files (JSON and YAML): parsed safely, validated record by
record, with progress. The CSV and ClaimReview exports are db/export_formats.py."""

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from db.dataset_schema import (
    ClaimRecord,
    DataSet,
    DocumentRecord,
    EventRecord,
    Record,
    SourceRecord,
)
from db.progress import Phase, Progress


class DataSetFileError(Exception):
    """A file that is not a valid data set; the message names the record and field."""


# A data set nests about six levels deep (claims, a claim, its appearances, one of them).
MAX_NESTING = 32


def _parse(text: str, format_: str) -> Any:
    """The file's content as plain data, refused (DataSetFileError) when it nests deeper
    than MAX_NESTING, repeats a key in a mapping, or (YAML) expands through anchors and
    aliases to more nodes than the file has characters: a few kilobytes of aliases can
    stand for gigabytes."""
    if format_ == "json":
        try:
            raw = json.loads(text, object_pairs_hook=_mapping_without_repeats)
        except json.JSONDecodeError as error:
            raise DataSetFileError(
                f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
            ) from None
        except RecursionError:
            raise DataSetFileError(_TOO_DEEP) from None
        _check_json_nesting(raw)
        return raw
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_yaml_nodes(node, budget=len(text))
        return loader.construct_document(node)
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        position = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(error, "problem", None) or "syntax error"
        raise DataSetFileError(f"not valid YAML: {problem}{position}") from None
    except RecursionError:
        raise DataSetFileError(_TOO_DEEP) from None
    finally:
        loader.dispose()


_TOO_DEEP = f"the file nests lists and mappings more than {MAX_NESTING} deep; a data set needs 6"


def _mapping_without_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise DataSetFileError(f"the key {key!r} appears twice in one mapping")
        mapping[key] = value
    return mapping


def _check_json_nesting(raw: Any) -> None:
    pending = [(raw, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            if depth > MAX_NESTING:
                raise DataSetFileError(_TOO_DEEP)
            pending += [(child, depth + 1) for child in value]


def _check_yaml_nodes(root: yaml.Node, budget: int) -> None:
    """Refuse deep nesting, repeated keys, and alias expansion past `budget` nodes.

    Nodes an alias repeats are the same objects, so each node's expanded size is computed
    once (post-order, iteratively: no recursion however deep the file).
    """
    expanded: dict[int, int] = {}
    pending: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while pending:
        node, depth, children_done = pending.pop()
        if id(node) in expanded:
            continue
        children = _children(node)
        if not children_done:
            if depth > MAX_NESTING:
                raise DataSetFileError(_TOO_DEEP)
            if isinstance(node, yaml.MappingNode):
                _refuse_repeated_keys(node)
            pending.append((node, depth, True))
            pending += [(child, depth + 1, False) for child in children]
            continue
        size = 1 + sum(expanded.get(id(child), 1) for child in children)
        if size > budget:
            raise DataSetFileError(
                "the file's anchors and aliases expand to more than it holds: write the "
                "records out instead of repeating them with aliases"
            )
        expanded[id(node)] = size


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _refuse_repeated_keys(node: yaml.MappingNode) -> None:
    seen: set[str] = set()
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value != "<<":
            if key.value in seen:
                mark = key.start_mark
                raise DataSetFileError(
                    f"the key {key.value!r} appears twice in one mapping "
                    f"(line {mark.line + 1}, column {mark.column + 1})"
                )
            seen.add(key.value)


def detect_format(name: str, data: bytes | bytearray) -> str:
    """`json` or `yaml`, by file name, else by content (JSON is also valid YAML)."""
    suffix = Path(name).suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in {".yaml", ".yml"}:
        return "yaml"
    if suffix not in {"", ".txt"}:
        raise DataSetFileError(
            f"unsupported file type {suffix!r}: send a .json, .yaml or .yml data set"
        )
    start = re.match(rb"\s*", data)
    first = data[start.end() : start.end() + 1] if start else b""
    return "json" if first in (b"{", b"[") else "yaml"


def _record_label(section: str, index: int, item: Any) -> str:
    """`claims[3] (makiivka-mod-63)`: where in the file a validation error is."""
    label = f"{section}[{index}]"
    if isinstance(item, Mapping):
        natural_key = item.get("key") or item.get("slug") or item.get("name")
        if isinstance(natural_key, str):
            label += f" ({natural_key})"
    return label


SECTIONS: dict[str, type[Record]] = {
    "sources": SourceRecord,
    "documents": DocumentRecord,
    "events": EventRecord,
    "claims": ClaimRecord,
}
# A file's first problems are shown; the rest are counted.
MAX_PROBLEMS = 10
# Validation reports its progress every this many records.
PROGRESS_STEP = 500


_EMPTY = "is empty: write the text"
_EMPTY_TRANSLATION = "is empty: write the translation, or leave the field out to show the English"


class _Problems:
    """The first MAX_PROBLEMS validation errors, and how many there were in all."""

    def __init__(self) -> None:
        self.shown: list[str] = []
        self.count = 0

    def add(self, where: str, error: ValidationError) -> None:
        for item in error.errors():
            self.count += 1
            if len(self.shown) < MAX_PROBLEMS:
                field = ".".join(str(part) for part in item["loc"]) or "record"
                message = str(item["msg"]).removeprefix("Value error, ")
                if (
                    item["type"] == "string_too_short"
                    and item.get("ctx", {}).get("min_length") == 1
                ):
                    message = _EMPTY_TRANSLATION if "translations" in item["loc"] else _EMPTY
                self.shown.append(f"{where}: {field}: {message}")

    def raise_any(self) -> None:
        if self.count:
            more = self.count - len(self.shown)
            raise DataSetFileError(
                "\n".join(self.shown + ([f"... and {more} more problems"] if more > 0 else []))
            )


def _validate(raw: Any, release: bool, progress: Progress | None) -> DataSet:
    """The data set, validated record by record.

    With `release`, each plain record is dropped as soon as its model is built, so a large
    file is never held whole twice (as plain data and as models); YAML may share one list
    between two sections through an alias, so it keeps its plain data.
    """
    if not isinstance(raw, Mapping):
        raise DataSetFileError(
            "a data set is a mapping with 'sources', 'events' and 'claims' lists; "
            "start from the output of `claimbot export`"
        )
    problems = _Problems()
    lists = {name: raw[name] for name in SECTIONS if isinstance(raw.get(name), list)}
    try:
        envelope = DataSet.model_validate({k: v for k, v in raw.items() if k not in lists})
    except ValidationError as error:
        problems.add("file", error)
        envelope = DataSet()
    total = sum(len(items) for items in lists.values())
    done = 0
    if progress:
        progress(Phase.VALIDATING, 0, total)
    sections: dict[str, list[Record]] = {}
    for name, items in lists.items():
        model = SECTIONS[name]
        records: list[Record] = []
        for index in range(len(items)):
            item = items[index]
            if release:
                items[index] = None
            try:
                records.append(model.model_validate(item))
            except ValidationError as error:
                problems.add(_record_label(name, index, item), error)
            done += 1
            if progress and done % PROGRESS_STEP == 0:
                progress(Phase.VALIDATING, done, total)
        sections[name] = records
    problems.raise_any()
    if progress:
        progress(Phase.VALIDATING, total, total)
    # Every record is valid, and the envelope's other fields were checked above.
    return envelope.model_copy(update=sections)


def _too_large(max_bytes: int) -> DataSetFileError:
    return DataSetFileError(
        f"the file is larger than {max_bytes // 2**20} MB, the import limit "
        "(CLAIMBOT_IMPORT_MAX_MB sets it)"
    )


def dataset_from_bytes(
    data: bytes | bytearray,
    name: str = "data set",
    *,
    max_bytes: int | None = None,
    progress: Progress | None = None,
) -> DataSet:
    if max_bytes is not None and len(data) > max_bytes:
        raise _too_large(max_bytes)
    format_ = detect_format(name, data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataSetFileError("not a text file: a data set must be UTF-8 JSON or YAML") from None
    raw = _parse(text, format_)
    del text
    if progress:
        progress(Phase.READING, len(data), len(data))
    return _validate(raw, release=format_ == "json", progress=progress)


READ_CHUNK = 8 * 2**20


def read_dataset(
    path: Path, max_bytes: int | None = None, progress: Progress | None = None
) -> DataSet:
    """The data set in a file, read in chunks so that progress shows the bytes read."""
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            if max_bytes is not None and size > max_bytes:
                raise _too_large(max_bytes)
            if progress:
                progress(Phase.READING, 0, size)
            data = bytearray(size)
            view, done = memoryview(data), 0
            while done < size and (count := file.readinto(view[done : done + READ_CHUNK])):
                done += count
                if progress:
                    # Parsing comes after the last chunk: it is counted as the last byte.
                    progress(Phase.READING, min(done, size - 1), size)
            view.release()
            del data[done:]
    except OSError as error:
        raise DataSetFileError(f"cannot read {path}: {error.strerror}") from None
    return dataset_from_bytes(data, path.name, max_bytes=max_bytes, progress=progress)


def dataset_to_text(dataset: DataSet, format_: str) -> str:
    document = dataset.model_dump(mode="json")
    if format_ == "json":
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
