"""The moderation service on real SQLite and PostgreSQL databases holding the seed data.

Every change is audited with its actor, the records before and after and one batch per
command; a failed command writes nothing; undo, stale versions, hiding and restoring,
imports and permissions behave as moderators are told they do.
"""

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.answering import AnswerService
from bot.card_cache import CardCache
from bot.matching import Matcher
from bot.moderation.errors import ModerationError, NotAllowed
from bot.moderation.files import ImportPreview, check_import_file
from bot.moderation.history import HISTORY_PAGE_SIZE
from bot.moderation.service import (
    ModerationService,
)
from bot.moderation.spec import Kind
from bot.moderation.work import Work
from db.cards import load_event_card
from db.engine import make_engine, make_session_factory, unit_of_work
from db.file_formats import dataset_from_bytes
from db.follows import follow
from db.import_export import claim_record, event_record, source_record
from db.import_plan import plan_import
from db.import_write import apply_import
from db.migrate import upgrade
from db.models import AuditEntry, Claim, Event, Notification, Source, utcnow
from db.vocabulary import Lifecycle, Role, VerificationStatus
from tests.conftest import NewDatabase
from tests.moderating import ADMIN, MOD, OTHER_MOD, run, state

NOBODY = 4  # neither admin nor moderator


def entries(sessions: sessionmaker[Session], batch: str | None = None) -> list[AuditEntry]:
    with unit_of_work(sessions) as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if batch is not None:
            query = query.where(AuditEntry.batch == batch)
        return list(session.scalars(query))


def current_record(session: Session, entity: str, entity_id: int | None) -> dict[str, Any]:
    if entity == "event":
        return event_record(session.get_one(Event, entity_id)).model_dump(mode="json")
    if entity == "claim":
        return claim_record(session.get_one(Claim, entity_id)).model_dump(mode="json")
    return source_record(session.get_one(Source, entity_id)).model_dump(mode="json")


# ---------------------------------------------------------------- auditing


CHANGES = [
    ("addevent", 'slug=t-strike title="T strike" place=P summary=S date=2023-01-10', True),
    ("editevent", 'makiivka-strike title="A corrected title"', False),
    ("alias", 'makiivka-strike "Макіївка-2" lang=uk', False),
    ("unalias", "makiivka-strike Makeevka", False),
    ("link", "makiivka-strike kyiv-drone-attack relation=related", False),
    ("unlink", "makiivka-strike russian-losses-dec-31", False),
    ("addsource", 'name="A new council" kind=official side=ukraine', True),
    ("editsource", "Rybar side=unknown", False),
    (
        "addclaim",
        'event=makiivka-strike claimant=Rybar metric=killed figure=12 quote="q" '
        "url=https://example.org/q",
        True,
    ),
    ("editclaim", '1 figure="about 70"', False),
    ("report", '1 publisher="bne IntelliNews" url=https://example.org/r', False),
    ("supersede", "3 4", False),
    ("retract", "1", False),
    ("status", '1 confirmed reason="Checked." evidence=https://example.org/e', False),
    ("delete", "kyiv-drone-attack", False),
]


def test_every_change_is_audited_with_actor_before_after_and_one_batch(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    for command, text, creates in CHANGES:
        seen = len(entries(seeded))
        outcome = run(service, command, text)
        written = entries(seeded)[seen:]
        assert written and len(written) == len(outcome.changes), command
        assert len({e.batch for e in written}) == 1, command
        with unit_of_work(seeded) as session:
            for entry, change in zip(written, outcome.changes, strict=True):
                assert entry.actor == f"tg:{MOD}", command
                assert entry.action == command
                assert (entry.before is None) == creates, command
                assert entry.after == change.after, command
                assert entry.after == current_record(session, entry.entity, entry.entity_id)
                assert entry.before != entry.after, command


def test_a_status_change_appends_an_assessment_with_who_and_why(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    run(
        service,
        "status",
        '1 misleading reason="Partly true." evidence="https://a.org https://b.org"',
    )
    with unit_of_work(seeded) as session:
        claim = session.get_one(Claim, 1)
        assert claim.status == VerificationStatus.MISLEADING
        latest = claim.assessments[-1]
        assert (latest.status, latest.rationale, latest.set_by) == (
            VerificationStatus.MISLEADING,
            "Partly true.",
            f"tg:{MOD}",
        )
        assert latest.evidence == ["https://a.org", "https://b.org"]


def test_moderator_text_is_stored_exactly_as_given(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    title = 'Strike on <b>"Testville"</b> & Тествіль\'s station'
    run(service, "addevent", f"slug=x-strike title='{title}' place=P summary=S")
    with unit_of_work(seeded) as session:
        assert session.scalars(select(Event.title).where(Event.slug == "x-strike")).one() == title


def test_a_new_claim_gets_a_readable_key_and_a_new_publisher_is_added_and_noted(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    outcome = run(
        service,
        "addclaim",
        'event=makiivka-strike claimant="Igor Girkin" metric=killed figure="about 12" '
        'quote="About 12." publisher="Brand New Outlet" url=https://example.org/a',
    )
    assert [c.entity for c in outcome.changes] == ["source", "claim"]
    assert outcome.changes[1].name == "makiivka-strike-igor-girkin-killed"
    assert "Brand New Outlet" in outcome.notes[0]
    again = run(
        service,
        "addclaim",
        'event=makiivka-strike claimant="Igor Girkin" metric=killed figure=13 quote="13." '
        'publisher="Brand New Outlet"',
    )
    assert again.changes[0].name == "makiivka-strike-igor-girkin-killed-2"


def test_a_claim_needs_a_figure_or_no_figure_and_where_it_was_reported(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    base = 'event=makiivka-strike claimant=Rybar metric=other quote="A claim without a number."'
    before = state(seeded)
    with pytest.raises(ModerationError, match=r"needs figure \(or qualifier=no_figure\)"):
        run(service, "addclaim", f"{base} url=https://example.org/n")
    with pytest.raises(ModerationError, match="say where the claim was reported"):
        run(service, "addclaim", f"{base} figure=5")
    with pytest.raises(ModerationError, match="keep one of them"):
        run(service, "addclaim", f"{base} figure=5 qualifier=no_figure url=https://e.org/n")
    assert state(seeded) == before
    added = run(service, "addclaim", f'{base} qualifier="No figure" url=https://example.org/n')
    after = added.changes[-1].after
    assert after is not None and after["qualifier"] is None and after["wording"] is None
    assert [a["url"] for a in after["appearances"]] == ["https://example.org/n"]


def test_confirmed_and_false_need_evidence_an_address_or_a_named_report(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    before = state(seeded)
    for status in ("confirmed", "false"):
        with pytest.raises(ModerationError, match=f"{status} needs evidence"):
            run(service, "status", f'1 {status} reason="Checked."')
    with pytest.raises(ModerationError, match="has no report by 'Nobody Times'"):
        run(service, "status", '1 false reason="Checked." report="Nobody Times"')
    assert state(seeded) == before
    run(service, "report", '1 publisher="bne IntelliNews" url=https://example.org/seen')
    run(service, "status", '1 false reason="Checked." report="BNE intellinews"')
    with unit_of_work(seeded) as session:
        assert session.get_one(Claim, 1).assessments[-1].evidence == ["https://example.org/seen"]
    disputed = run(service, "status", '1 disputed reason="Unclear again."')
    assert disputed.message == "Claim #1 is now disputed."


# ---------------------------------------------------------------- failures


FAILURES = [
    (
        "addclaim",
        'event=makiivka-strike claimant=Rybar metric=killed figure=lots quote="q" url=https://e.org',
        "does not parse",
    ),
    (
        "addclaim",
        'event=makiivka-strik claimant=Rybar metric=killed figure=1 quote="q" url=https://e.org',
        "no event",
    ),
    (
        "addclaim",
        'event=makiivka-strike claimant=Rybarr metric=killed figure=1 quote="q" url=https://e.org',
        "no source",
    ),
    (
        "addclaim",
        "event=makiivka-strike claimant=Rybar metric=killed qualifier=no_figure quote=q "
        'publisher="bne IntelliNewz"',
        "no source 'bne IntelliNewz'",
    ),
    ("addevent", "slug=makiivka-strike title=T place=P summary=S", "already an event"),
    ("addevent", "slug=x title=T place=P summary=S date=2023-01-10 end=2023-01-01", "before"),
    ("addsource", 'name="rybar" kind=blogger side=pro_russia', "already a source 'Rybar'"),
    ("status", "1 disputed", "needs a reason"),
    ("status", '1 sure reason="r"', "is not one of"),
    ("status", '999 confirmed reason="r"', "no claim"),
    ("report", "1 url=ftp://example.org", "http:// or https://"),
    ("report", "1 title=Headline", "say where the claim was reported"),
    ("editevent", "makiivka-strike", "nothing to change"),
    (
        "editevent",
        'makiivka-strike title="Strike on Russian troops in Makiivka, New Year\'s Day 2023"',
        "changes nothing",
    ),
    ("editevent", 'makiivka-strike title=""', "title cannot be empty"),
    ("alias", "makiivka-strike makeevka", "already has the name"),
    ("unalias", "makiivka-strike Makeevkaa", "has no name"),
    ("link", "makiivka-strike makiivka-strike relation=related", "linked to itself"),
    ("supersede", "1 30", "only claims about one event"),
    ("retract", "1 version=7", "has changed since version 7"),
    ("delete", "no-such-thing", "no event"),
    ("restore", "1", "only admins"),
]


def test_a_failed_command_writes_nothing_and_says_why(
    service: ModerationService, seeded: sessionmaker[Session], refreshed: list[set[str]]
) -> None:
    before = state(seeded)
    for command, text, problem in FAILURES:
        with pytest.raises(ModerationError) as raised:
            run(service, command, text)
        assert problem in str(raised.value), (command, text, str(raised.value))
        assert raised.value.example or isinstance(raised.value, NotAllowed), command
        assert state(seeded) == before, (command, text)
    assert not refreshed


def test_unknown_references_come_with_the_nearest_matches(service: ModerationService) -> None:
    with pytest.raises(ModerationError) as raised:
        service.history(MOD, "kramatorsk-strik")
    assert "kramatorsk-strike" in raised.value.suggestions
    with pytest.raises(ModerationError) as raised:
        run(service, "retract", "makiivka-russian-mod-36")
    assert "makiivka-russian-mod-63" in raised.value.suggestions


def test_a_failure_after_writing_rolls_the_whole_command_back(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    run(service, "supersede", "3 4")
    run(service, "editclaim", '3 subject="Someone else corrected this"', user=OTHER_MOD)
    before = state(seeded)
    # Undo reverts claim #4 first, then finds #3 changed since: both stay as they are.
    with pytest.raises(ModerationError, match="claim #3 has been changed since"):
        service.undo(MOD)
    assert state(seeded) == before


def test_a_dry_run_writes_nothing_and_pins_the_version_it_saw(
    service: ModerationService, seeded: sessionmaker[Session], refreshed: list[set[str]]
) -> None:
    before = state(seeded)
    with unit_of_work(seeded) as session:
        version = session.get_one(Claim, 1).version
    preview = run(service, "delete", "1", dry_run=True)
    assert not preview.applied and preview.values == {"target": "1", "version": str(version)}
    assert preview.changes[0].after is not None and preview.changes[0].after["hidden"] is True
    assert state(seeded) == before and not refreshed


# ---------------------------------------------------------------- undo


def test_undo_reverts_the_whole_last_command_and_is_audited(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    added = run(service, "addsource", 'name="Short-lived" kind=official side=ukraine')
    before = state(seeded)[0]
    run(service, "editsource", '"Short-lived" side=russia')
    undone = service.undo(MOD)
    assert undone.message == "Undid your /editsource (1 record)."
    assert state(seeded)[0] == before
    service.undo(MOD)  # the source itself: unused, so it goes again
    with unit_of_work(seeded) as session:
        assert session.get(Source, added.changes[0].entity_id) is None
    undos = [e for e in entries(seeded) if e.action == "undo"]
    assert len(undos) == 2 and all(e.actor == f"tg:{MOD}" for e in undos)
    assert undos[-1].after is None and undos[-1].before is not None
    with pytest.raises(ModerationError, match="no change left to undo"):
        service.undo(MOD)


def test_undo_of_a_status_keeps_the_assessments_and_the_data_set_valid(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    with unit_of_work(seeded) as session:
        history = len(session.get_one(Claim, 1).assessments)
    run(service, "status", '1 false reason="Shown wrong." evidence=https://example.org/w')
    service.undo(MOD)
    with unit_of_work(seeded) as session:
        claim = session.get_one(Claim, 1)
        assert claim.status == VerificationStatus.DISPUTED
        assert len(claim.assessments) == history + 2
        assert claim.assessments[-1].status == VerificationStatus.DISPUTED
        assert (claim.assessments[-1].rationale or "").startswith("Undo: the change to false")
    dataset_from_bytes(state(seeded)[0].encode(), "after-undo.json")


def test_undo_of_created_rows_hides_them_and_keeps_used_sources(
    service: ModerationService, seeded: sessionmaker[Session], refreshed: list[set[str]]
) -> None:
    run(service, "addevent", 'slug=t-strike title="T strike" place=P summary=S')
    added = run(
        service,
        "addclaim",
        "event=t-strike claimant=Rybar metric=killed figure=5 quote=q publisher=Fresh",
    )
    undone = service.undo(MOD)
    assert "Kept source 'Fresh'" in undone.notes[0]
    with unit_of_work(seeded) as session:
        assert session.get_one(Claim, added.changes[-1].entity_id).hidden
    service.undo(MOD)
    with unit_of_work(seeded) as session:
        assert load_event_card(session, "t-strike") is None
    assert refreshed[-1] == {"t-strike"}


def test_undo_is_per_moderator_and_refuses_to_overwrite_a_later_change(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    run(service, "editevent", 'makiivka-strike place="Makiivka city"')
    run(service, "editevent", 'makiivka-strike region="Donetsk region"', user=OTHER_MOD)
    with pytest.raises(ModerationError, match="has been changed since"):
        service.undo(MOD)
    assert "Undid your /editevent" in service.undo(OTHER_MOD).message
    service.undo(MOD)  # the other change was undone, so mine can be now
    with unit_of_work(seeded) as session:
        event = session.scalars(select(Event).where(Event.slug == "makiivka-strike")).one()
        assert (event.place, event.region) == ("Makiivka", "Donetsk Oblast")
    with pytest.raises(ModerationError, match="no change left"):
        service.undo(MOD)


def test_undo_of_a_rename_brings_the_old_slug_back(
    service: ModerationService, refreshed: list[set[str]]
) -> None:
    run(service, "editevent", "kyiv-drone-attack slug=kyiv-drones")
    assert refreshed[-1] == {"kyiv-drone-attack", "kyiv-drones"}
    service.undo(MOD)
    assert refreshed[-1] == {"kyiv-drone-attack", "kyiv-drones"}
    assert service.reference(MOD, Kind.EVENT, "kyiv-drone-attack", "event").text == (
        "kyiv-drone-attack"
    )


# ---------------------------------------------------------------- versions


def test_an_edit_against_an_old_version_is_refused(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    with unit_of_work(seeded) as session:
        seen = session.get_one(Claim, 5).version
    run(service, "editclaim", '5 subject="First"', user=OTHER_MOD)
    before = state(seeded)
    with pytest.raises(ModerationError) as raised:
        run(service, "editclaim", f'5 subject="Second" version={seen}')
    assert f"changed since version {seen} (it is now version {seen + 1})" in raised.value.problem
    assert state(seeded) == before
    updated = run(service, "editclaim", f'5 subject="Second" version={seen + 1}')
    assert f"now version {seen + 2}" in updated.message


def test_a_change_racing_another_one_is_refused_not_merged(
    service: ModerationService, seeded: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    check: Callable[..., None] = Work.check_version
    raced: list[bool] = []

    def racing(work: Work, row: Any, expected: Any) -> None:
        check(work, row, expected)
        if not raced:
            raced.append(True)
            run(service, "editclaim", '5 subject="Got there first"', user=OTHER_MOD)

    monkeypatch.setattr(Work, "check_version", racing)
    with pytest.raises(ModerationError, match="nothing was written"):
        run(service, "editclaim", '5 subject="Too late"')
    with unit_of_work(seeded) as session:
        assert session.get_one(Claim, 5).subject == "Got there first"


# ---------------------------------------------------------------- hiding


def test_delete_hides_and_only_an_admin_restores(
    service: ModerationService, seeded: sessionmaker[Session], refreshed: list[set[str]]
) -> None:
    run(service, "delete", "kramatorsk-strike")
    assert refreshed[-1] == {"kramatorsk-strike"}
    with unit_of_work(seeded) as session:
        assert load_event_card(session, "kramatorsk-strike") is None
    with pytest.raises(NotAllowed):
        run(service, "restore", "kramatorsk-strike")
    with pytest.raises(ModerationError, match="already hidden"):
        run(service, "delete", "kramatorsk-strike")
    run(service, "restore", "kramatorsk-strike", user=ADMIN)
    with unit_of_work(seeded) as session:
        card = load_event_card(session, "kramatorsk-strike")
        assert card is not None and card.claims
    run(service, "delete", "#40")
    with unit_of_work(seeded) as session:
        card = load_event_card(session, "kyiv-drone-attack")
        assert card is not None and 40 not in {c.id for c in card.claims}


def test_superseding_and_retracting_set_the_lifecycle(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    run(service, "supersede", "3 4")
    run(service, "retract", "6")
    with unit_of_work(seeded) as session:
        assert session.get_one(Claim, 3).lifecycle == Lifecycle.SUPERSEDED
        assert session.get_one(Claim, 4).supersedes_id == 3
        assert session.get_one(Claim, 6).lifecycle == Lifecycle.RETRACTED
    with pytest.raises(ModerationError, match="changes nothing"):
        run(service, "supersede", "3 4")
    with pytest.raises(ModerationError, match="a loop"):
        run(service, "supersede", "4 3")


# ---------------------------------------------------------------- history


def test_history_is_newest_first_paginated_and_covers_an_events_claims(
    service: ModerationService,
) -> None:
    run(service, "alias", 'kherson-incendiary-attack "Херсон-2023"')
    for number in range(HISTORY_PAGE_SIZE):
        run(service, "editclaim", f'kherson-phosphorus-video subject="Version {number}"')
    first = service.history(MOD, "kherson-incendiary-attack")
    assert first.target.title == "event kherson-incendiary-attack"
    assert first.pages >= 2 and len(first.entries) == HISTORY_PAGE_SIZE
    assert first.entries[0].after is not None
    assert first.entries[0].after["subject"] == f"Version {HISTORY_PAGE_SIZE - 1}"
    later = service.history_of(MOD, "event", first.target.entity_id, 2)
    assert any(e.action == "alias" for e in later.entries)
    ids = [e.id for e in first.entries + later.entries]
    assert ids == sorted(ids, reverse=True)
    claim = service.history(MOD, "kherson-phosphorus-video").target
    assert claim.entity == "claim" and claim.title == f"claim #{claim.entity_id}"


# ---------------------------------------------------------------- import and export


def exported(service: ModerationService) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(service.export(MOD).content)
    return loaded


def test_an_import_applies_all_or_nothing_after_its_preview(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    document = exported(service)
    document["sources"].append(
        {"name": "Imported source", "kind": "monitor", "side": "independent"}
    )
    document["claims"][0]["summary"] = "An imported correction."
    document["claims"][1]["event"] = "no-such-event"
    bad = yaml.safe_dump(document, allow_unicode=True).encode()
    before = state(seeded)
    preview = service.preview_import(MOD, bad, "bad.yaml")
    assert preview.rejected and "event 'no-such-event' does not exist" in preview.summary
    with pytest.raises(ModerationError, match="nothing that can be imported"):
        service.confirm(MOD, service.remember_import(MOD, preview))
    assert state(seeded) == before

    document["claims"][1]["event"] = "makiivka-strike"
    good = yaml.safe_dump(document, allow_unicode=True).encode()
    preview = service.preview_import(MOD, good, "good.yaml")
    assert "sources: 1 new" in preview.summary and "claims: 1 updated" in preview.summary
    outcome = service.confirm(MOD, service.remember_import(MOD, preview))
    assert outcome.message.startswith("Imported:")
    written = entries(seeded)[before[1] :]
    assert {e.actor for e in written} == {f"tg:{MOD}"} and len({e.batch for e in written}) == 1
    assert "An imported correction." in state(seeded)[0]
    assert service.undo(MOD).message == "Undid your import (2 records)."


def test_an_imported_change_to_a_followed_event_tells_its_followers(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    with unit_of_work(seeded) as session:
        makiivka = session.scalars(select(Event).where(Event.slug == "makiivka-strike")).one()
        follow(session, 9001, makiivka.id, "en")
    document = exported(service)
    claim = next(
        c
        for c in document["claims"]
        if c["event"] == "makiivka-strike" and c["lifecycle"] == "current" and not c["hidden"]
    )
    claim["lifecycle"] = "retracted"
    preview = service.preview_import(MOD, yaml.safe_dump(document).encode(), "data.yaml")
    assert "claims: 1 updated" in preview.summary
    outcome = service.confirm(MOD, service.remember_import(MOD, preview))
    assert outcome.followers == 1
    with unit_of_work(seeded) as session:
        pending = session.scalars(select(Notification)).one()
        assert pending.event_id == makiivka.id
        # It holds what followers saw before the import, so the retraction is news.
        assert pending.before[claim["key"]]["lifecycle"] == "current"


def test_an_import_is_refused_if_the_data_changed_since_its_preview(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    document = exported(service)
    document["claims"][0]["summary"] = "From the file."
    preview = service.preview_import(MOD, yaml.safe_dump(document).encode(), "data.yaml")
    run(
        service, "editclaim", f'{document["claims"][0]["key"]} summary="Meanwhile."', user=OTHER_MOD
    )
    run(
        service,
        "editclaim",
        f'{document["claims"][0]["key"]} summary="From the file."',
        user=OTHER_MOD,
    )
    before = state(seeded)
    with pytest.raises(ModerationError, match="changed since the preview"):
        service.confirm(MOD, service.remember_import(MOD, preview))
    assert state(seeded) == before


@pytest.mark.parametrize(
    ("data", "name", "problem"),
    [
        (b"a,b\n1,2\n", "claims.csv", "CSV files cannot be imported"),
        (b"sources: [unclosed", "x.yaml", "not valid YAML"),
        (b"\x89PNG", "x.png", "unsupported file type"),
        (b"- a list", "x.yaml", "a data set is a mapping"),
    ],
)
def test_files_that_cannot_be_imported_are_refused_with_the_reason(
    service: ModerationService, data: bytes, name: str, problem: str
) -> None:
    with pytest.raises(ModerationError, match=problem):
        service.preview_import(MOD, data, name)


def test_an_oversized_file_is_refused_before_reading_it() -> None:
    with pytest.raises(ModerationError, match="larger than 20 MB"):
        check_import_file("big.yaml", 21 * 2**20)


def test_the_export_after_moderation_imports_back_exactly(
    service: ModerationService, new_database: NewDatabase
) -> None:
    run(service, "addevent", 'slug=t-strike title="T" place=P summary=S')
    run(service, "status", '1 confirmed reason="r" evidence=https://example.org/r')
    service.undo(MOD)
    exported_file = service.export(MOD)
    assert exported_file.name.endswith(".yaml")
    engine = make_engine(new_database())
    upgrade(engine)
    copy = ModerationService(make_session_factory(engine), {ADMIN})
    # The operator's import (`claimbot import`) keeps the file's history as it is.
    dataset = dataset_from_bytes(exported_file.content, exported_file.name)
    with unit_of_work(make_session_factory(engine)) as session:
        apply_import(session, plan_import(session, dataset), actor="import:test")
    assert copy.export(ADMIN).content == exported_file.content
    engine.dispose()


def import_through_the_bot(
    service: ModerationService, user: int, document: dict[str, Any]
) -> ImportPreview:
    return service.preview_import(user, yaml.safe_dump(document).encode(), "data.yaml")


def test_an_import_through_the_bot_obeys_the_rules_of_the_commands(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    run(service, "delete", "kyiv-drone-attack")
    document = exported(service)
    before = state(seeded)
    event = next(e for e in document["events"] if e["slug"] == "kyiv-drone-attack")
    event["hidden"] = False  # /restore is for admins
    claim = document["claims"][0]
    claim["status"] = "false"  # with no reason or evidence, as someone else, back in 2023
    claim["assessments"].append(
        {"status": "false", "set_by": "tg:1001", "set_at": "2023-01-02T00:00:00Z"}
    )
    unassessed = claim | {"key": "a-confirmed-claim", "status": "confirmed", "assessments": []}
    document["claims"].append(unassessed)
    claim["stated_on"] = "0001-01-01"
    preview = import_through_the_bot(service, MOD, document)
    assert preview.rejected
    assert "rejected event 'kyiv-drone-attack': only admins may show it" in preview.summary
    assert "a new false assessment needs a rationale" in preview.summary
    assert "a new false assessment needs evidence" in preview.summary
    assert "'a-confirmed-claim': status confirmed needs a new assessment" in preview.summary
    assert "stated_on 0001-01-01 is outside 1900-2100" in preview.summary
    assert state(seeded) == before
    document["claims"].remove(unassessed)

    event["hidden"] = True
    claim["stated_on"] = "2023-01-01"
    claim["assessments"][-1] |= {"rationale": "Shown wrong.", "evidence": ["https://e.org/f"]}
    preview = import_through_the_bot(service, MOD, document)
    assert not preview.rejected, preview.summary
    started = utcnow()
    service.confirm(MOD, service.remember_import(MOD, preview))
    with unit_of_work(seeded) as session:
        added = session.scalars(select(Claim).where(Claim.key == claim["key"])).one()
        assert added.status == VerificationStatus.FALSE
        assert added.assessments[-1].set_by == f"tg:{MOD}"
        assert added.assessments[-1].set_at >= started
    # An admin may show the event again through a file, as with /restore.
    event["hidden"] = False
    admin_preview = import_through_the_bot(service, ADMIN, exported(service) | {"events": [event]})
    assert not admin_preview.rejected, admin_preview.summary


# ---------------------------------------------------------------- permissions


def test_only_moderators_change_anything_and_only_admins_grant(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    before = state(seeded)
    attempts: list[Callable[[], object]] = [
        lambda: run(service, "addsource", "name=X kind=official side=ukraine", user=NOBODY),
        lambda: service.undo(NOBODY),
        lambda: service.history(NOBODY, "1"),
        lambda: service.export(NOBODY),
        lambda: service.preview_import(NOBODY, b"{}", "x.json"),
        lambda: service.grant(MOD, 99),
        lambda: service.revoke(MOD, OTHER_MOD),
        lambda: service.moderators(MOD),
    ]
    for attempt in attempts:
        with pytest.raises(NotAllowed):
            attempt()
    assert state(seeded) == before


def test_grants_are_listed_and_audited(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    assert service.role(ADMIN) == Role.ADMIN and service.role(MOD) == Role.MODERATOR
    assert service.role(NOBODY) is None
    listed = service.moderators(ADMIN)
    assert [(m.user_id, m.role, m.granted_by) for m in listed] == [
        (ADMIN, Role.ADMIN, None),
        (MOD, Role.MODERATOR, ADMIN),
        (OTHER_MOD, Role.MODERATOR, ADMIN),
    ]
    with pytest.raises(ModerationError, match="already a moderator"):
        service.grant(ADMIN, MOD)
    with pytest.raises(ModerationError, match="already an admin"):
        service.grant(ADMIN, ADMIN)
    service.revoke(ADMIN, OTHER_MOD)
    assert service.role(OTHER_MOD) is None
    with pytest.raises(ModerationError, match="not a moderator"):
        service.revoke(ADMIN, OTHER_MOD)
    grants = [e for e in entries(seeded) if e.entity == "moderator"]
    assert [e.action for e in grants] == ["grant", "grant", "revoke"]
    assert grants[-1].before is not None and grants[-1].before["telegram_user_id"] == OTHER_MOD
    assert all(e.actor == f"tg:{ADMIN}" for e in grants)
    assert service.staff() == [(ADMIN, Role.ADMIN), (MOD, Role.MODERATOR)]


# ---------------------------------------------------------------- answers follow


def test_answers_follow_changes_without_a_restart(seeded: sessionmaker[Session]) -> None:
    answers = AnswerService(seeded.kw["bind"], Matcher(), CardCache(100))
    answers.watch_commits(seeded)
    answers.rebuild_index()
    service = ModerationService(seeded, {ADMIN}, answers.refresh_events)
    assert answers.ask("Тествіль").event is None
    run(
        service,
        "addevent",
        'slug=test-strike title="Strike on Testville" date=2023-01-10 place=Testville '
        'summary="A strike hit Testville."',
        user=ADMIN,
    )
    run(service, "alias", 'test-strike "Тествіль" lang=uk', user=ADMIN)
    found = answers.ask("Тествіль").event
    assert found is not None and found.slug == "test-strike"
    run(service, "delete", "test-strike", user=ADMIN)
    assert answers.ask("Тествіль").event is None
