"""Moderators translating an event (`/editevent SLUG lang=uk ...`) and a claim's summary
(`/editclaim N lang=ru summary=...`): checked, audited, previewed and undone exactly, like
every other change."""

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.moderation.errors import ModerationError
from bot.moderation.rendering import render_outcome
from bot.moderation.service import ModerationService
from db.cards import load_event_card
from db.changes import Entry, touched
from db.engine import unit_of_work
from db.import_export import event_record, export_dataset
from db.models import Claim, Event
from tests.moderating import MOD, run, state

MAKIIVKA = "makiivka-strike"


def translations(sessions: sessionmaker[Session], slug: str = MAKIIVKA) -> dict[str, Any]:
    with unit_of_work(sessions) as session:
        event = session.scalars(select(Event).where(Event.slug == slug)).one()
        found: dict[str, Any] = event_record(event).model_dump(mode="json")["translations"]
        return found


def test_a_translation_is_shown_in_its_language_and_english_stays(
    service: ModerationService, seeded: sessionmaker[Session], refreshed: list[set[str]]
) -> None:
    with unit_of_work(seeded) as session:
        english = load_event_card(session, MAKIIVKA)
    outcome = run(
        service, "editevent", 'makiivka-strike lang=uk title="Удар по Макіївці (виправлено)"'
    )
    assert outcome.applied and "Updated the uk text of event makiivka-strike" in outcome.message
    assert refreshed[-1] == {MAKIIVKA}
    with unit_of_work(seeded) as session:
        ukrainian = load_event_card(session, MAKIIVKA, "uk")
        assert load_event_card(session, MAKIIVKA) == english
    assert ukrainian is not None and english is not None
    assert ukrainian.title == "Удар по Макіївці (виправлено)"
    assert ukrainian.summary != english.summary  # the seed's Ukrainian summary is kept


def test_the_change_is_audited_and_previewed_language_by_language(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    before = state(seeded)
    preview = run(
        service, "editevent", 'makiivka-strike lang=ru summary="Новое резюме."', dry_run=True
    )
    assert not preview.applied and state(seeded) == before
    assert "ru summary: " in render_outcome(preview) and "→ Новое резюме." in render_outcome(
        preview
    )
    outcome = run(service, "editevent", 'makiivka-strike lang=ru summary="Новое резюме."')
    change = outcome.changes[0]
    assert change.after is not None and change.before is not None
    assert change.after["translations"]["ru"]["summary"] == "Новое резюме."
    assert change.after["translations"]["uk"] == change.before["translations"]["uk"]
    assert change.after["title"] == change.before["title"]


def test_undo_restores_the_translation_exactly(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    original = translations(seeded)
    before = state(seeded)[0]
    run(
        service,
        "editevent",
        'makiivka-strike lang=uk title="Інша назва" summary="" date_note="Примітка."',
    )
    assert translations(seeded)["uk"]["summary"] is None
    service.undo(MOD)
    assert translations(seeded) == original
    with unit_of_work(seeded) as session:
        assert export_dataset(session).model_dump_json() == before


def test_emptying_every_translated_field_removes_the_language(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    outcome = run(service, "editevent", 'makiivka-strike lang=ru title="" summary=""')
    assert "Removed the ru text" in outcome.message
    assert "ru" not in translations(seeded)
    with unit_of_work(seeded) as session:
        russian, english = (load_event_card(session, MAKIIVKA, lang) for lang in ("ru", "en"))
    assert russian is not None and english is not None
    assert (russian.title, russian.summary) == (english.title, english.summary)
    service.undo(MOD)
    assert "ru" in translations(seeded)


def test_lang_en_edits_the_english_text(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    original = translations(seeded)
    run(service, "editevent", 'makiivka-strike lang=en title="A corrected title"')
    with unit_of_work(seeded) as session:
        card = load_event_card(session, MAKIIVKA)
    assert card is not None and card.title == "A corrected title"
    assert translations(seeded) == original


def test_a_translated_title_is_stale_in_the_cards_that_link_to_it(
    seeded: sessionmaker[Session],
) -> None:
    with unit_of_work(seeded) as session:
        event = session.scalars(select(Event).where(Event.slug == MAKIIVKA)).one()
        before = event_record(event).model_dump(mode="json")
        after = before | {"translations": {"uk": {"title": "Нова назва"}}}
        stale = touched(session, [Entry(1, "event", event.id, before, after)])
    assert stale.events is not None and "kramatorsk-strike" in stale.events


def test_a_claim_summary_is_translated_and_its_quote_stays_as_printed(
    service: ModerationService, seeded: sessionmaker[Session]
) -> None:
    with unit_of_work(seeded) as session:
        claim = session.get_one(Claim, 1)
        slug, key = claim.event.slug, claim.key
        english = load_event_card(session, slug)
    before = state(seeded)[0]
    outcome = run(service, "editclaim", '1 lang=ru summary="Краткое резюме <заявления>."')
    assert "Updated the ru text of claim #1" in outcome.message
    with unit_of_work(seeded) as session:
        russian = load_event_card(session, slug, "ru")
        assert load_event_card(session, slug) == english
    assert russian is not None and english is not None
    shown = next(c for c in russian.claims if c.key == key)
    printed = next(c for c in english.claims if c.key == key)
    assert shown.summary == "Краткое резюме <заявления>."
    assert (shown.quote, shown.wording) == (printed.quote, printed.wording)
    service.undo(MOD)
    with unit_of_work(seeded) as session:
        assert export_dataset(session).model_dump_json() == before


@pytest.mark.parametrize(
    ("command", "text", "problem"),
    [
        ("editevent", 'makiivka-strike lang=de title="Angriff"', "'de' is not a language the"),
        ("editevent", 'makiivka-strike lang=de title="A"', "use lang=en or lang=uk or lang=ru"),
        ("editevent", 'makiivka-strike lang=uk place="Макіївка"', "translates only title, summ"),
        ("editevent", "makiivka-strike lang=uk", "nothing to change"),
        ("editevent", 'makiivka-strike lang=uk title="x" slug=other', "give slug in a separate"),
        ("editevent", "makiivka-strike lang=ukrainian title=x", "is not a language code"),
        ("editclaim", '1 lang=uk quote="Цитата."', "lang=uk translates only summary; give quote"),
        ("editclaim", '1 lang=fr summary="Résumé"', "use lang=en or lang=uk or lang=ru"),
        ("editclaim", '1 lang=uk summary=""', "changes nothing"),
    ],
)
def test_a_bad_translation_command_writes_nothing_and_says_how(
    service: ModerationService, seeded: sessionmaker[Session], command: str, text: str, problem: str
) -> None:
    before = state(seeded)
    with pytest.raises(ModerationError) as raised:
        run(service, command, text)
    assert problem in str(raised.value)
    assert raised.value.example  # a correct use to copy
    assert state(seeded) == before
