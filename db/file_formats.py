"""Reading and writing data-set files: JSON and YAML, plus CSV and ClaimReview exports."""

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from db.dataset_schema import ClaimRecord, DataSet, EventRecord, SourceRecord

# Larger files are refused before parsing: a data set of this project is a few MB at most.
MAX_FILE_BYTES = 20 * 1024 * 1024


class DataSetFileError(Exception):
    """A file that is not a valid data set; the message names the record and field."""


def _parse(text: str, format_: str) -> Any:
    if format_ == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise DataSetFileError(
                f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
            ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        position = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(error, "problem", None) or "syntax error"
        raise DataSetFileError(f"not valid YAML: {problem}{position}") from None


def detect_format(name: str, data: bytes) -> str:
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
    return "json" if data.lstrip()[:1] in (b"{", b"[") else "yaml"


def _record_label(raw: Any, loc: tuple[int | str, ...]) -> str:
    """`claims[3] (makiivka-mod-63)`: where in the file a validation error is."""
    if len(loc) < 2 or not isinstance(loc[1], int):
        return ".".join(str(part) for part in loc) or "file"
    section, index = str(loc[0]), loc[1]
    label = f"{section}[{index}]"
    try:
        item = raw[section][index]
    except (KeyError, IndexError, TypeError):
        return label
    if isinstance(item, Mapping):
        natural_key = item.get("key") or item.get("slug") or item.get("name")
        if isinstance(natural_key, str):
            label += f" ({natural_key})"
    return label


def dataset_from_bytes(data: bytes, name: str = "data set") -> DataSet:
    if len(data) > MAX_FILE_BYTES:
        raise DataSetFileError(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    format_ = detect_format(name, data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataSetFileError("not a text file: a data set must be UTF-8 JSON or YAML") from None
    raw = _parse(text, format_)
    if not isinstance(raw, Mapping):
        raise DataSetFileError(
            "a data set is a mapping with 'sources', 'events' and 'claims' lists; "
            "start from the output of `claimbot export`"
        )
    try:
        return DataSet.model_validate(raw)
    except ValidationError as error:
        problems = []
        for item in error.errors()[:10]:
            loc = tuple(item["loc"])
            record_loc = loc[:2] if len(loc) >= 2 and isinstance(loc[1], int) else loc
            field = ".".join(str(part) for part in loc[len(record_loc) :]) or "record"
            message = str(item["msg"]).removeprefix("Value error, ")
            problems.append(f"{_record_label(raw, record_loc)}: {field}: {message}")
        more = error.error_count() - len(problems)
        if more > 0:
            problems.append(f"... and {more} more problems")
        raise DataSetFileError("\n".join(problems)) from None


def read_dataset(path: Path) -> DataSet:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DataSetFileError(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        data = path.read_bytes()
    except OSError as error:
        raise DataSetFileError(f"cannot read {path}: {error.strerror}") from None
    return dataset_from_bytes(data, path.name)


def dataset_to_text(dataset: DataSet, format_: str) -> str:
    document = dataset.model_dump(mode="json")
    if format_ == "json":
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)


# UCDP GED-style columns, one row per claim: the claimant is the source of the figure,
# the publishers are where it was reported.
CSV_COLUMNS = (
    "claim_key",
    "event_slug",
    "event_title",
    "date_start",
    "date_end",
    "date_prec",
    "where_description",
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
    "supersedes",
    "source_office",
    "source_article",
    "source_headline",
    "source_date",
    "source_original",
    "quote",
)


def claims_to_csv(dataset: DataSet) -> str:
    events: dict[str, EventRecord] = {e.slug: e for e in dataset.events}
    sources: dict[str, SourceRecord] = {s.name: s for s in dataset.sources}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for claim in dataset.claims:
        event, claimant = events[claim.event], sources[claim.claimant]
        apps = claim.appearances
        writer.writerow(
            [
                claim.key,
                event.slug,
                event.title,
                event.start_date or "",
                event.end_date or event.start_date or "",
                event.date_precision.value,
                event.place,
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
                claim.stated_on or "",
                claim.basis.value,
                claim.lifecycle.value,
                claim.status.value,
                claim.supersedes or "",
                "; ".join(a.publisher or "" for a in apps),
                "; ".join(a.url or a.document or "" for a in apps),
                "; ".join(a.title or "" for a in apps),
                "; ".join(str(a.published_on or "") for a in apps),
                "; ".join(a.wording or "" for a in apps),
                claim.quote,
            ]
        )
    return out.getvalue()


def _blank(value: object) -> object:
    return "" if value is None else value


def _best_estimate(claim: ClaimRecord) -> int | None:
    """UCDP's 'best': the one figure the claimant stated, where there is exactly one."""
    if claim.low is not None and claim.low == claim.high:
        return claim.low
    return None


CLAIMBOT_AUTHOR = {"@type": "Organization", "name": "claimbot moderators"}
# schema.org Rating scale: 1 = false ... 5 = true; statuses without a verdict carry none.
RATING = {
    "false": 1,
    "misleading": 2,
    "disputed": 3,
    "inconclusive": 3,
    "corroborated": 4,
    "confirmed": 5,
}


def claim_reviews(dataset: DataSet) -> list[dict[str, Any]]:
    """schema.org ClaimReview JSON-LD for every claim that moderators have assessed."""
    sources = {s.name: s for s in dataset.sources}
    reviews = []
    for claim in dataset.claims:
        if not claim.assessments or claim.hidden:
            continue
        latest = claim.assessments[-1]
        claimant = sources[claim.claimant]
        item: dict[str, Any] = {
            "@type": "Claim",
            "author": {
                "@type": "Person" if claimant.kind.value == "individual" else "Organization",
                "name": claimant.name,
            },
            "appearance": [
                {
                    "@type": "CreativeWork",
                    **({"url": a.url} if a.url else {}),
                    **({"headline": a.title} if a.title else {}),
                    **(
                        {"publisher": {"@type": "Organization", "name": a.publisher}}
                        if a.publisher
                        else {}
                    ),
                    **({"datePublished": a.published_on.isoformat()} if a.published_on else {}),
                }
                for a in claim.appearances
            ],
        }
        if claim.stated_on:
            item["datePublished"] = claim.stated_on.isoformat()
        rating: dict[str, Any] = {"@type": "Rating", "alternateName": latest.status.value}
        if latest.status.value in RATING:
            rating |= {
                "ratingValue": RATING[latest.status.value],
                "bestRating": 5,
                "worstRating": 1,
            }
        review: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "identifier": claim.key,
            "claimReviewed": claim.quote,
            "itemReviewed": item,
            "reviewRating": rating,
            "author": CLAIMBOT_AUTHOR,
            "datePublished": latest.set_at.date().isoformat(),
        }
        if latest.rationale:
            review["reviewBody"] = latest.rationale
        if latest.evidence:
            review["citation"] = list(latest.evidence)
        reviews.append(review)
    return reviews
