"""Reading and writing data-set files: JSON and YAML, plus CSV and ClaimReview exports."""

import csv
import io
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from db.dataset_schema import (
    AppearanceRecord,
    ClaimRecord,
    DataSet,
    DocumentRecord,
    EventRecord,
    Record,
    SourceRecord,
)
from db.progress import Phase, Progress
from db.vocabulary import DatePrecision, PlacePrecision, SourceKind, VerificationStatus


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


# UCDP GED-style columns, one row per report of a claim: the claimant is the source of
# the figure, the outlet (and whom it credits, `via`) is where it was reported. Unknown
# values are empty cells; denials and verdicts have no figure.
CSV_COLUMNS = (
    "claim_key",
    "event_slug",
    "event_title",
    "date_start",
    "date_end",
    "date_prec",
    "where_description",
    "where_prec",
    "adm_1",
    "country",
    "claimant",
    "claimant_kind",
    "claimant_side",
    "metric",
    "subject",
    "qualifier",
    "low",
    "best",
    "high",
    "wording",
    "stated_on",
    "basis",
    "lifecycle",
    "status",
    "status_reason",
    "supersedes",
    "source_outlet",
    "source_via",
    "source_headline",
    "source_date",
    "source_url",
    "source_wording",
    "source_figure_wording",
    "quote",
)

# UCDP's where_prec codes for how exactly the place is known.
WHERE_PREC = {
    PlacePrecision.EXACT: 1,
    PlacePrecision.NEAR: 2,
    PlacePrecision.REGION: 4,
    PlacePrecision.COUNTRY: 6,
}


def date_prec(event: EventRecord) -> int | None:
    """UCDP's date_prec: 1 the day, 2 a span of 2-6 days, 3 a week, 4 a month, 5 a year or
    more; None where the articles give no date."""
    if event.start_date is None:
        return None
    end = event.end_date or event.start_date
    if event.date_precision == DatePrecision.YEAR:
        return 5
    if event.date_precision == DatePrecision.MONTH:
        return 4
    days = (end - event.start_date).days + 1
    return 1 if days == 1 else 2 if days <= 6 else 3 if days <= 7 else 4 if days <= 31 else 5


def claims_to_csv(dataset: DataSet) -> str:
    events: dict[str, EventRecord] = {e.slug: e for e in dataset.events}
    sources: dict[str, SourceRecord] = {s.name: s for s in dataset.sources}
    documents: dict[str, DocumentRecord] = {d.key: d for d in dataset.documents}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for claim in dataset.claims:
        event, claimant = events[claim.event], sources[claim.claimant]
        latest = claim.assessments[-1] if claim.assessments else None
        row = [
            claim.key,
            event.slug,
            event.title,
            _blank(event.start_date),
            _blank(event.end_date or event.start_date),
            _blank(date_prec(event)),
            event.place,
            _blank(WHERE_PREC.get(event.place_precision)),
            event.region or "",
            event.country or "",
            claimant.name,
            claimant.kind.value,
            claimant.side.value,
            claim.metric.value,
            claim.subject or "",
            claim.qualifier.value if claim.qualifier else "",
            _blank(claim.low),
            _blank(_best_estimate(claim)),
            _blank(claim.high),
            claim.wording or "",
            _blank(claim.stated_on),
            claim.basis.value,
            claim.lifecycle.value,
            claim.status.value,
            (latest.reason or latest.rationale or "") if latest else "",
            claim.supersedes or "",
        ]
        for appearance in claim.appearances or [AppearanceRecord(document="none recorded")]:
            document = documents.get(appearance.article or "")
            writer.writerow(
                [
                    *row,
                    appearance.publisher or (document.publisher if document else None) or "",
                    appearance.via or "",
                    appearance.title or _headline(document),
                    _blank(appearance.published_on or (document and document.published_on)),
                    appearance.url or (document.url if document else None) or "",
                    appearance.wording or "",
                    appearance.figure_wording or claim.wording or "",
                    claim.quote,
                ]
            )
    return out.getvalue()


def _headline(document: DocumentRecord | None) -> str:
    if document is None:
        return ""
    if document.headline:
        return document.headline
    return f"{document.opening_words}…" if document.opening_words else ""


def _blank(value: object) -> object:
    return "" if value is None else value


def _best_estimate(claim: ClaimRecord) -> int | None:
    """UCDP's 'best': the one figure the claimant stated, where there is exactly one."""
    if claim.low is not None and claim.low == claim.high:
        return claim.low
    return None


# schema.org Rating on a 1 (false) to 5 (true) scale, for the statuses that are a verdict
# on that scale; "disputed", "inconclusive" and "unverified" are no point on it.
RATING = {
    VerificationStatus.FALSE: 1,
    VerificationStatus.MISLEADING: 2,
    VerificationStatus.CORROBORATED: 4,
    VerificationStatus.CONFIRMED: 5,
}
PERSON_KINDS = frozenset({SourceKind.INDIVIDUAL, SourceKind.OFFICIAL, SourceKind.BLOGGER})


def _creative_work(
    appearance: AppearanceRecord, documents: dict[str, DocumentRecord]
) -> dict[str, Any]:
    """Where a claim appeared, as schema.org describes a report: only what is known."""
    document = documents.get(appearance.article or "")
    outlet = appearance.publisher or (document.publisher if document else None)
    url = appearance.url or (document.url if document else None)
    headline = appearance.title or (document.headline if document else None)
    published = appearance.published_on or (document.published_on if document else None)
    work: dict[str, Any] = {"@type": "CreativeWork"}
    if url:
        work["url"] = url
    if headline:
        work["headline"] = headline
    if outlet:
        work["publisher"] = {"@type": "Organization", "name": outlet}
    if published:
        work["datePublished"] = published.isoformat()
    return work


def claim_reviews(dataset: DataSet, public_url: str, organisation: str) -> list[dict[str, Any]]:
    """schema.org ClaimReview JSON-LD, as Google documents it, for every assessed claim.

    `url` is the claim on its event's page under `public_url` (`claimbot web` serves it);
    `author` is `organisation`, who runs the bot; `datePublished` is the date of the latest
    assessment.
    """
    sources = {s.name: s for s in dataset.sources}
    documents = {d.key: d for d in dataset.documents}
    reviews = []
    for claim in dataset.claims:
        if not claim.assessments or claim.hidden:
            continue
        latest = claim.assessments[-1]
        claimant = sources[claim.claimant]
        item: dict[str, Any] = {
            "@type": "Claim",
            "author": {
                "@type": "Person" if claimant.kind in PERSON_KINDS else "Organization",
                "name": claimant.name,
            },
            "appearance": [_creative_work(a, documents) for a in claim.appearances],
        }
        if claim.stated_on:
            item["datePublished"] = claim.stated_on.isoformat()
        rating: dict[str, Any] = {"@type": "Rating", "alternateName": latest.status.value}
        if latest.status in RATING:
            rating |= {"ratingValue": RATING[latest.status], "bestRating": 5, "worstRating": 1}
        review: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "url": f"{public_url.rstrip('/')}/events/{claim.event}#claim-{claim.key}",
            "claimReviewed": claim.quote,
            "itemReviewed": item,
            "reviewRating": rating,
            "author": {"@type": "Organization", "name": organisation, "url": public_url},
            "datePublished": latest.set_at.date().isoformat(),
        }
        if latest.rationale:
            review["reviewBody"] = latest.rationale
        if latest.evidence:
            review["citation"] = list(latest.evidence)
        reviews.append(review)
    return reviews
