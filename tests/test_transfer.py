"""Import and export of data sets: exact round trips, all-or-nothing imports, clear errors."""

import csv
import io
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import ProgressLine
from bot.moderation.rendering import render_import_progress
from db.dataset_schema import DataSet
from db.engine import make_engine, make_session_factory, unit_of_work
from db.export_formats import claim_reviews, claims_to_csv
from db.file_formats import (
    DataSetFileError,
    dataset_from_bytes,
    dataset_to_text,
    read_dataset,
)
from db.import_export import export_dataset
from db.import_plan import Change, ImportRejected, plan_import
from db.import_write import apply_import
from db.migrate import upgrade
from db.models import AuditEntry
from db.progress import Phase, PhaseClock
from tests.bench.scale_data import generate
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


def _makiivka(document: dict[str, Any]) -> dict[str, Any]:
    return next(e for e in document["events"] if e["slug"] == "makiivka-strike")


def _assessed(document: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in document["claims"] if c["key"] == "makiivka-russian-mod-63")


def _set(record: dict[str, Any], **values: Any) -> None:
    record.update(values)


# One edit per stored field of an event or a claim, nested records' fields included: the
# planner compares a file's records with the stored ones as plain data, so a field that
# form left out would make a real change look unchanged.
FIELD_EDITS: dict[str, tuple[str, Any]] = {
    "event title": ("event", lambda d: _set(_makiivka(d), title="Makiivka, edited")),
    "event summary": ("event", lambda d: _set(_makiivka(d), summary="Edited.")),
    "event place": ("event", lambda d: _set(_makiivka(d), place="Makiivka city")),
    "event region": ("event", lambda d: _set(_makiivka(d), region=None)),
    "event country": ("event", lambda d: _set(_makiivka(d), country="Ukr.")),
    "event start date": ("event", lambda d: _set(_makiivka(d), start_date="2022-12-31")),
    "event end date": ("event", lambda d: _set(_makiivka(d), end_date="2023-01-02")),
    "event date precision": ("event", lambda d: _set(_makiivka(d), date_precision="month")),
    "event date note": ("event", lambda d: _set(_makiivka(d), date_note=None)),
    "event place precision": ("event", lambda d: _set(_makiivka(d), place_precision="near")),
    "event hidden": ("event", lambda d: _set(_makiivka(d), hidden=True)),
    # The last one: a renamed alias is a new row, listed last.
    "alias text": ("event", lambda d: _set(_makiivka(d)["aliases"][-1], text="Makiivka-2")),
    "alias language": ("event", lambda d: _set(_makiivka(d)["aliases"][0], lang="uk")),
    "alias kind": ("event", lambda d: _set(_makiivka(d)["aliases"][0], kind="keyword")),
    "link note": ("event", lambda d: _set(_makiivka(d)["related"][0], note="Edited.")),
    "link relation": ("event", lambda d: _set(_makiivka(d)["related"][0], relation="related")),
    "event translation": ("event", lambda d: _set(_makiivka(d)["translations"]["uk"], title="Т")),
    "event translation dropped": ("event", lambda d: _makiivka(d)["translations"].pop("ru")),
    "claim subject": ("claim", lambda d: _set(_assessed(d), subject="soldiers")),
    "claim figure": ("claim", lambda d: _set(_assessed(d), low=64, high=64, wording="64")),
    "claim summary": ("claim", lambda d: _set(_assessed(d), summary="Edited.")),
    "claim quote": ("claim", lambda d: _set(_assessed(d), quote="Edited.")),
    "claim date": ("claim", lambda d: _set(_assessed(d), stated_on="2023-01-03")),
    "claim basis": ("claim", lambda d: _set(_assessed(d), basis="estimate")),
    "claim lifecycle": ("claim", lambda d: _set(_assessed(d), lifecycle="retracted")),
    "claim supersedes": (
        "claim",
        lambda d: _set(_assessed(d), supersedes="makiivka-russian-mod-89"),
    ),
    "claim hidden": ("claim", lambda d: _set(_assessed(d), hidden=True)),
    "appearance wording": (
        "claim",
        lambda d: _set(_assessed(d)["appearances"][0], wording="Edited."),
    ),
    "appearance url": (
        "claim",
        lambda d: _set(_assessed(d)["appearances"][1], url="https://example.org/a"),
    ),
    "appearance figure": (
        "claim",
        lambda d: _set(_assessed(d)["appearances"][1], figure_wording=None),
    ),
    "appearance dropped": ("claim", lambda d: _assessed(d)["appearances"].pop()),
    "assessment added": (
        "claim",
        lambda d: _assessed(d)["assessments"].append(
            {
                "status": "disputed",
                "rationale": "Still disputed.",
                "set_by": "tg:1",
                "set_at": "2024-05-01T10:00:00Z",
            }
        ),
    ),
    "claim translation": (
        "claim",
        lambda d: _set(_assessed(d), translations={"uk": {"summary": "С"}}),
    ),
}


@pytest.mark.parametrize("edit", list(FIELD_EDITS))
def test_a_change_to_any_stored_field_is_planned_as_an_update(
    seeded: sessionmaker[Session], edit: str
) -> None:
    kind, change = FIELD_EDITS[edit]
    document = yaml.safe_load(export_text(seeded))
    change(document)
    dataset = DataSet.model_validate(document)
    with unit_of_work(seeded) as session:
        plan = plan_import(session, dataset)
        assert not plan.rejected
        assert [r.kind for r in plan.records if r.change != Change.UNCHANGED] == [kind]
        apply_import(session, plan, "test")
    with unit_of_work(seeded) as session:
        assert not plan_import(session, dataset).has_changes


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


def large_file(events: int, padding: int) -> dict[str, Any]:
    """A generated data set whose claims quote `padding` characters more, with links,
    assessments and superseded claims, so that each kind of row is written."""
    document = generate(events)
    for claim in document["claims"]:
        claim["quote"] += " " + "x" * padding
    for event, previous in itertools.pairwise(document["events"]):
        event["related"] = [{"event": previous["slug"], "relation": "follows"}]
    for newer, older in itertools.pairwise(document["claims"][::50]):
        newer["supersedes"] = older["key"]  # an older claim, listed earlier
        older["status"] = "disputed"
        older["assessments"] = [
            {
                "status": "disputed",
                "rationale": "Other figures differ.",
                "set_by": "tg:1",
                "set_at": "2024-05-01T10:00:00Z",
            }
        ]
    return document


def write_file(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "large.json"
    path.write_text(dataset_to_text(DataSet.model_validate(document), "json"), encoding="utf-8")
    return path


def written_statements(sessions: sessionmaker[Session]) -> list[str]:
    """Every INSERT, UPDATE and DELETE the sessions' engine runs from now on."""
    statements: list[str] = []
    engine = sessions.kw["bind"]

    @sqlalchemy.event.listens_for(engine, "before_cursor_execute")
    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            statements.append(statement)

    return statements


def test_an_export_larger_than_20_mb_imports_back_exactly_and_again_touches_nothing(
    new_database: NewDatabase, tmp_path: Path
) -> None:
    path = write_file(tmp_path, large_file(events=900, padding=4900))
    assert path.stat().st_size > 21 * 2**20
    sessions = empty_database(new_database())
    dataset = read_dataset(path, max_bytes=512 * 2**20)
    import_dataset(sessions, dataset)
    assert export_text(sessions, "json") == path.read_text(encoding="utf-8")

    writes = written_statements(sessions)
    with unit_of_work(sessions) as session:
        plan = plan_import(session, read_dataset(path, max_bytes=512 * 2**20))
        assert plan.count("claim", Change.UNCHANGED) == 4500
        assert not plan.has_changes
        apply_import(session, plan, "again")
    assert writes == []


def test_one_rejected_record_in_a_large_file_changes_nothing(
    seeded: sessionmaker[Session], tmp_path: Path
) -> None:
    before = export_text(seeded)
    document = large_file(events=1500, padding=100)
    document["claims"][-1]["claimant"] = "Nobody we know"
    dataset = read_dataset(write_file(tmp_path, document))
    with pytest.raises(ImportRejected) as rejected, unit_of_work(seeded) as session:
        apply_import(session, plan_import(session, dataset), "test")
    assert [r.name for r in rejected.value.plan.rejected] == [document["claims"][-1]["key"]]
    assert export_text(seeded) == before


def test_a_file_over_the_import_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b" " * (2 * 2**20 + 1))
    with pytest.raises(DataSetFileError, match="larger than 2 MB, the import limit"):
        read_dataset(path, max_bytes=2 * 2**20)


def test_an_import_reports_progress_in_every_phase(
    new_database: NewDatabase, tmp_path: Path
) -> None:
    sessions = empty_database(new_database())
    seen: list[tuple[Phase, int, int]] = []

    def progress(phase: Phase, done: int, total: int) -> None:
        seen.append((phase, done, total))

    dataset = read_dataset(write_file(tmp_path, large_file(200, 0)), progress=progress)
    with unit_of_work(sessions) as session:
        apply_import(session, plan_import(session, dataset, progress=progress), "t", progress)
    assert [phase for phase, _, _ in seen] == sorted(
        (phase for phase, _, _ in seen), key=list(Phase).index
    )
    records = 200 + 200 * 5 + 200 + 500  # sources, claims, events, documents
    for phase in Phase:
        steps = [(done, total) for p, done, total in seen if p == phase]
        assert steps[-1][0] == steps[-1][1], phase
        assert [done for done, _ in steps] == sorted(done for done, _ in steps), phase
        assert len(steps) > 2, phase
    assert {total for p, _, total in seen if p != Phase.READING} == {records}


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


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_import_progress_is_one_rewritten_line_at_a_terminal_and_plain_lines_in_a_log() -> None:
    steps = [(Phase.PLANNING, done, 4000) for done in range(0, 4001, 500)]
    steps += [(Phase.WRITING, 0, 3000), (Phase.WRITING, 3000, 3000)]
    terminal, log = Terminal(), io.StringIO()
    for out in (terminal, log):
        line = ProgressLine(out)
        for step in steps:
            line.show(*step)
        line.end()
    assert terminal.getvalue().count("\r") == len(steps)
    assert terminal.getvalue().count("\n") == 1
    assert "\r" not in log.getvalue()
    # A log gets each phase's start and end (and a line every 5 s in between).
    assert log.getvalue().splitlines() == [
        "planning: 0/4,000 records (0%)",
        "planning: 4,000/4,000 records (100%)",
        "writing: 0/3,000 records (0%)",
        "writing: 3,000/3,000 records (100%)",
    ]


def test_the_time_left_comes_from_the_phase_s_own_pace() -> None:
    now = [0.0]
    clock = PhaseClock(clock=lambda: now[0])
    assert clock.remaining(Phase.PLANNING, 0, 1000) is None
    now[0] = 10.0
    assert clock.remaining(Phase.PLANNING, 250, 1000) == 30.0
    assert clock.remaining(Phase.WRITING, 0, 100) is None  # a new phase, a new pace
    now[0] = 12.0
    assert clock.remaining(Phase.WRITING, 50, 100) == 2.0
    line = render_import_progress(Phase.READING, 3 * 2**20, 12 * 2**20, 150.0)
    assert line == "reading: 3.0/12.0 MB (25%), about 2 min left"
