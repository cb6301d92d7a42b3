"""Import and export of data sets: exact round trips, all-or-nothing imports, clear errors."""

import csv
import io
import json

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db.dataset_schema import DataSet
from db.engine import make_engine, make_session_factory, unit_of_work
from db.file_formats import (
    DataSetFileError,
    claim_reviews,
    claims_to_csv,
    dataset_from_bytes,
    dataset_to_text,
)
from db.import_export import Change, ImportRejected, apply_import, export_dataset, plan_import
from db.migrate import upgrade
from db.models import AuditEntry
from tests.conftest import NewDatabase


def export_text(sessions: sessionmaker[Session], format_: str = "yaml") -> str:
    with unit_of_work(sessions) as session:
        return dataset_to_text(export_dataset(session), format_)


def import_dataset(sessions: sessionmaker[Session], dataset: DataSet, actor: str = "test") -> None:
    with unit_of_work(sessions) as session:
        apply_import(session, plan_import(session, dataset), actor)


def empty_database(url: str) -> sessionmaker[Session]:
    engine = make_engine(url)
    upgrade(engine)
    return make_session_factory(engine)


@pytest.mark.parametrize("format_", ["yaml", "json"])
def test_export_imports_back_exactly(
    seeded: sessionmaker[Session], new_database: NewDatabase, format_: str
) -> None:
    exported = export_text(seeded, format_)
    copy = empty_database(new_database())
    import_dataset(copy, dataset_from_bytes(exported.encode(), f"data.{format_}"))
    assert export_text(copy, format_) == exported


def test_reimporting_an_export_changes_nothing(seeded: sessionmaker[Session]) -> None:
    with unit_of_work(seeded) as session:
        plan = plan_import(session, export_dataset(session))
    assert not plan.has_changes
    assert not plan.rejected


def test_an_edited_claim_is_updated_and_audited_with_before_and_after(
    seeded: sessionmaker[Session],
) -> None:
    document = yaml.safe_load(export_text(seeded))
    document["claims"][0]["summary"] = "A corrected summary."
    dataset = DataSet.model_validate(document)
    with unit_of_work(seeded) as session:
        plan = plan_import(session, dataset)
        assert plan.count("claim", Change.UPDATED) == 1
        assert plan.count("claim", Change.UNCHANGED) == len(dataset.claims) - 1
        apply_import(session, plan, actor="moderator:42")
    with unit_of_work(seeded) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.actor == "moderator:42")).one()
    assert entry.action == "updated"
    assert entry.before is not None and entry.after is not None
    assert entry.after["summary"] == "A corrected summary."
    assert entry.before["summary"] != "A corrected summary."


def test_an_event_with_links_can_be_updated_by_an_import(seeded: sessionmaker[Session]) -> None:
    document = yaml.safe_load(export_text(seeded))
    makiivka = next(e for e in document["events"] if e["slug"] == "makiivka-strike")
    assert makiivka["related"]
    makiivka["aliases"][1]["text"] = "Makeevka-Imported"
    with unit_of_work(seeded) as session:
        plan = plan_import(session, DataSet.model_validate(document))
        assert plan.count("event", Change.UPDATED) == 1
        apply_import(session, plan, actor="test")
    updated = next(
        e for e in yaml.safe_load(export_text(seeded))["events"] if e["slug"] == "makiivka-strike"
    )
    # A renamed alias is a new row, so it is listed last.
    assert sorted(a["text"] for a in updated["aliases"]) == sorted(
        a["text"] for a in makiivka["aliases"]
    )
    assert updated["related"] == makiivka["related"]


def broken_copy(sessions: sessionmaker[Session], change: str) -> bytes:
    document = yaml.safe_load(export_text(sessions))
    claim = document["claims"][2]
    if change == "figure":
        claim["qualifier"], claim["low"], claim["high"] = "range", 150, 100
        claim["wording"] = "100-150"
    elif change == "status":
        claim["status"] = "probably"
    elif change == "url":
        claim["appearances"][0]["url"] = "javascript:alert(1)"
    return yaml.safe_dump(document, allow_unicode=True).encode()


@pytest.mark.parametrize(
    ("change", "field"),
    [("figure", "qualifier 'range' needs low below high"), ("status", "status"), ("url", "url")],
)
def test_a_malformed_file_names_the_record_and_field(
    seeded: sessionmaker[Session], change: str, field: str
) -> None:
    data = broken_copy(seeded, change)
    key = yaml.safe_load(data)["claims"][2]["key"]
    with pytest.raises(DataSetFileError) as error:
        dataset_from_bytes(data, "broken.yaml")
    message = str(error.value)
    assert f"claims[2] ({key})" in message
    assert field in message


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"sources: [unclosed", "x.yaml", "not valid YAML"),
        (b'{"sources": ', "x.json", "not valid JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "x.yaml", "not a text file"),
        (b"- just\n- a list\n", "x.yaml", "a data set is a mapping"),
        (b"a,b\n1,2\n", "x.xlsx", "unsupported file type"),
        (b'{"format": "something-else"}', "x.json", "format"),
    ],
)
def test_files_that_are_not_data_sets_are_refused_clearly(
    data: bytes, name: str, expected: str
) -> None:
    with pytest.raises(DataSetFileError, match=expected):
        dataset_from_bytes(data, name)


def test_an_import_with_a_bad_reference_writes_nothing(seeded: sessionmaker[Session]) -> None:
    before = export_text(seeded)
    document = yaml.safe_load(before)
    document["claims"][0]["summary"] = "This valid change must not be written either."
    document["claims"][1]["claimant"] = "Nobody we know"
    dataset = DataSet.model_validate(document)
    with unit_of_work(seeded) as session:
        plan = plan_import(session, dataset)
        assert [r.name for r in plan.rejected] == [document["claims"][1]["key"]]
        assert "Nobody we know" in plan.summary()
        with pytest.raises(ImportRejected):
            apply_import(session, plan, actor="test")
    assert export_text(seeded) == before


def test_an_import_that_fails_midway_leaves_the_database_as_it_was(
    seeded: sessionmaker[Session],
) -> None:
    before = export_text(seeded)
    document = yaml.safe_load(before)
    document["claims"][0]["summary"] = "Changed"
    dataset = DataSet.model_validate(document)
    with pytest.raises(RuntimeError), unit_of_work(seeded) as session:
        apply_import(session, plan_import(session, dataset), actor="test")
        raise RuntimeError("the process dies before the commit")
    assert export_text(seeded) == before


def test_assessments_cannot_be_dropped_by_an_import(seeded: sessionmaker[Session]) -> None:
    document = yaml.safe_load(export_text(seeded))
    assessed = next(c for c in document["claims"] if c["assessments"])
    assessed["assessments"] = []
    assessed["status"] = "unverified"
    with unit_of_work(seeded) as session:
        plan = plan_import(session, DataSet.model_validate(document))
    assert [r.name for r in plan.rejected] == [assessed["key"]]
    assert "append-only" in (plan.rejected[0].reason or "")


def test_large_imports_report_progress(new_database: NewDatabase) -> None:
    sessions = empty_database(new_database())
    claims = [
        {
            "key": f"claim-{n}",
            "event": f"event-{n % 50}",
            "claimant": f"Source {n % 20}",
            "metric": "killed",
            "qualifier": "exact",
            "low": n,
            "high": n,
            "wording": str(n),
            "summary": f"Claim {n}",
            "quote": f"{n} were killed",
        }
        for n in range(1200)
    ]
    dataset = DataSet.model_validate(
        {
            "sources": [
                {"name": f"Source {n}", "kind": "official", "side": "unknown"} for n in range(20)
            ],
            "events": [
                {"slug": f"event-{n}", "title": f"Event {n}", "summary": "s", "place": "p"}
                for n in range(50)
            ],
            "claims": claims,
        }
    )
    seen: list[tuple[int, int]] = []
    with unit_of_work(sessions) as session:
        apply_import(
            session,
            plan_import(session, dataset),
            "test",
            progress=lambda d, t: seen.append((d, t)),
        )
    assert seen[-1] == (1270, 1270)
    assert len(seen) > 3
    with unit_of_work(sessions) as session:
        assert len(export_dataset(session).claims) == 1200


def test_csv_export_has_a_row_per_report_in_ucdps_spirit(seeded: sessionmaker[Session]) -> None:
    with unit_of_work(seeded) as session:
        dataset = export_dataset(session)
    rows = list(csv.DictReader(io.StringIO(claims_to_csv(dataset))))
    assert len(rows) == sum(len(c.appearances) for c in dataset.claims)
    assert {"low", "best", "high", "date_prec", "where_prec", "source_outlet", "source_via"} <= set(
        rows[0]
    )
    makiivka = [r for r in rows if r["event_slug"] == "makiivka-strike" and r["metric"] == "killed"]
    assert {"63", "89"} <= {r["best"] for r in makiivka}
    assert {r["date_prec"] for r in makiivka} == {"1"} and {
        r["where_prec"] for r in rows if r["event_slug"] == "makiivka-strike"
    } == {"1"}
    # No date in the articles: no precision either, never "day".
    kherson = [r for r in rows if r["event_slug"] == "kherson-incendiary-attack"]
    assert {(r["date_start"], r["date_prec"]) for r in kherson} == {("", "")}
    # Denials and verdicts carry no number; every report keeps its outlet, its via and wording.
    denial = [r for r in rows if r["claim_key"] == "kramatorsk-ukraine-denial"]
    assert {(r["low"], r["best"], r["high"]) for r in denial} == {("", "", "")}
    bne = [r for r in rows if r["claim_key"] == "makiivka-ukraine-mod-up-to-400-killed"]
    assert ("bne IntelliNews", "some 400") in {
        (r["source_outlet"], r["source_figure_wording"]) for r in bne
    }
    kramatorsk = [r for r in rows if r["claim_key"] == "kramatorsk-russian-mod-600-killed"]
    assert "TASS" in {r["source_via"] for r in kramatorsk}
    assert all(".txt" not in value for r in rows for value in r.values())


def test_claimreview_export_is_what_google_documents(seeded: sessionmaker[Session]) -> None:
    with unit_of_work(seeded) as session:
        dataset = export_dataset(session)
    reviews = claim_reviews(dataset, "https://claims.example.org/", "Example Desk")
    assessed = [c for c in dataset.claims if c.assessments]
    assert len(reviews) == len(assessed) > 0
    by_url = {r["url"]: r for r in reviews}
    makiivka_89 = "https://claims.example.org/events/makiivka-strike#claim-makiivka-russian-mod-89"
    review = by_url[
        "https://claims.example.org/events/kramatorsk-strike#claim-kramatorsk-russian-mod-600-killed"
    ]
    assert review["@type"] == "ClaimReview" and review["@context"] == "https://schema.org"
    assert review["author"] == {
        "@type": "Organization",
        "name": "Example Desk",
        "url": "https://claims.example.org/",
    }
    assert review["datePublished"] == "2023-01-09"  # the assessment's date
    assert "more than 600 Ukrainian servicemen were killed" in review["claimReviewed"]
    item = review["itemReviewed"]
    assert item["@type"] == "Claim"
    assert item["author"] == {"@type": "Organization", "name": "Russian Ministry of Defence"}
    assert {
        "@type": "CreativeWork",
        "headline": "Russia claims to kill 600 Ukrainian soldiers in retaliation for "
        "Ukraine’s New Year’s Eve missile strike on Russian barracks",
        "publisher": {"@type": "Organization", "name": "bne IntelliNews"},
        "datePublished": "2023-01-09",
    } in item["appearance"]
    assert all("url" not in a for a in item["appearance"])  # none is known; none invented
    assert review["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "false",
        "ratingValue": 1,
        "bestRating": 5,
        "worstRating": 1,
    }
    # "disputed" is no point on a true-false scale: named, never rated 3 of 5.
    disputed = by_url[makiivka_89]
    assert disputed["reviewRating"] == {"@type": "Rating", "alternateName": "disputed"}
    person = by_url[makiivka_89]
    assert person["itemReviewed"]["author"]["@type"] == "Organization"
    json.dumps(reviews)  # serialisable as JSON-LD


def test_audit_log_grows_only_with_real_changes(seeded: sessionmaker[Session]) -> None:
    with unit_of_work(seeded) as session:
        before = session.scalar(select(func.count()).select_from(AuditEntry))
        apply_import(session, plan_import(session, export_dataset(session)), "test")
        after = session.scalar(select(func.count()).select_from(AuditEntry))
    assert before == after
