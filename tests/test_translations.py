"""Event and claim texts in Ukrainian and Russian: stored, shown with English where a
translation is missing, carried by import and export, and refused clearly when malformed."""

import pytest
import yaml
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import i18n
from bot.card import render_card
from bot.card_notes import render_assessments, render_event_about
from bot.i18n import Language, translator
from bot.rendering import TELEGRAM_MESSAGE_LIMIT, telegram_length
from db.cards import load_event_card
from db.dataset_schema import DataSet
from db.engine import unit_of_work
from db.file_formats import DataSetFileError, dataset_from_bytes, dataset_to_text
from db.import_export import export_dataset
from db.import_plan import Change, plan_import
from db.import_write import apply_import
from db.models import EventTranslation
from db.public_queries import event_dataset
from db.queries import list_events
from db.seed import load_seed
from db.vocabulary import BASE_LANGUAGE, LANGUAGES

MAKIIVKA = "makiivka-strike"
KRAMATORSK = "kramatorsk-strike"


def exported(sessions: sessionmaker[Session]) -> dict[str, object]:
    with unit_of_work(sessions) as session:
        document: dict[str, object] = yaml.safe_load(
            dataset_to_text(export_dataset(session), "yaml")
        )
    return document


def records(document: dict[str, object], section: str) -> list[dict[str, object]]:
    found = document[section]
    assert isinstance(found, list)
    return found


def record(document: dict[str, object], section: str, name: str) -> dict[str, object]:
    return next(r for r in records(document, section) if name in (r.get("slug"), r.get("key")))


def imported(sessions: sessionmaker[Session], document: dict[str, object]) -> None:
    with unit_of_work(sessions) as session:
        plan = plan_import(session, DataSet.model_validate(document))
        assert not plan.rejected
        apply_import(session, plan, actor="test")


def with_texts(sessions: sessionmaker[Session]) -> str:
    """Give Makiivka only a Ukrainian title and summary (its notes on dates untranslated,
    its Russian text dropped) and its first claim a Ukrainian summary; that claim's key."""
    document = exported(sessions)
    makiivka = record(document, "events", MAKIIVKA)
    makiivka["translations"] = {"uk": {"title": "Удар по Макіївці", "summary": "Підсумок."}}
    claim = next(c for c in records(document, "claims") if c["event"] == MAKIIVKA)
    claim["translations"] = {"uk": {"summary": "Короткий підсумок заяви."}}
    imported(sessions, document)
    key = claim["key"]
    assert isinstance(key, str)
    return key


def test_a_translated_card_falls_back_to_english_field_by_field(
    seeded: sessionmaker[Session],
) -> None:
    key = with_texts(seeded)
    with unit_of_work(seeded) as session:
        english = load_event_card(session, MAKIIVKA)
        ukrainian = load_event_card(session, MAKIIVKA, "uk")
        russian = load_event_card(session, MAKIIVKA, "ru")
    assert english is not None and ukrainian is not None and russian is not None
    assert (ukrainian.title, ukrainian.summary) == ("Удар по Макіївці", "Підсумок.")
    assert ukrainian.date_note == english.date_note and english.date_note
    translated = next(c for c in ukrainian.claims if c.key == key)
    assert translated.summary == "Короткий підсумок заяви."
    # Quotes and figures stay as printed; untranslated claims keep their English summary.
    for shown, original in zip(ukrainian.claims, english.claims, strict=True):
        assert (shown.quote, shown.wording) == (original.quote, original.wording)
        if shown.key != key:
            assert shown.summary == original.summary
    # Its Russian text was dropped here: the English shows, with nothing missing.
    assert (russian.title, russian.summary) == (english.title, english.summary)
    assert russian.claims == english.claims


def test_an_english_card_and_list_read_no_translations(seeded: sessionmaker[Session]) -> None:
    statements: list[str] = []
    engine = seeded.kw["bind"]
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with unit_of_work(seeded) as session:
        load_event_card(session, MAKIIVKA)
        list_events(session)
        english = len(statements)
        load_event_card(session, MAKIIVKA, "uk")
    assert not any("translations" in s for s in statements[:english])
    assert sum("translations" in s for s in statements[english:]) == 2  # event and claim texts


def test_the_web_page_reads_all_claim_translations_in_one_query(
    seeded: sessionmaker[Session],
) -> None:
    statements: list[str] = []
    engine = seeded.kw["bind"]
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with unit_of_work(seeded) as session:
        dataset = event_dataset(session, MAKIIVKA)
    assert dataset is not None and len(dataset.claims) > 10
    assert sum("FROM claim_translations" in s for s in statements) == 1


def test_related_events_and_the_event_list_show_translated_titles(
    seeded: sessionmaker[Session],
) -> None:
    with_texts(seeded)
    with unit_of_work(seeded) as session:
        kramatorsk = load_event_card(session, KRAMATORSK, "uk")
        listing = {e.slug: e.title for e in list_events(session, "uk")}
        english = {e.slug: e.title for e in list_events(session)}
    assert kramatorsk is not None
    assert "Удар по Макіївці" in [r.title for r in kramatorsk.related if r.slug == MAKIIVKA]
    assert listing[MAKIIVKA] == "Удар по Макіївці"
    assert english[MAKIIVKA] != listing[MAKIIVKA]
    assert set(listing) == set(english)


def test_the_data_takes_translations_in_the_languages_the_bot_answers_in() -> None:
    # Adding a language means adding it to both: the bot's catalogues and the data's texts.
    assert LANGUAGES == i18n.LANGUAGES and BASE_LANGUAGE == i18n.DEFAULT_LANGUAGE


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_seed_card_fits_telegram_in_every_language(
    seeded: sessionmaker[Session], language: Language
) -> None:
    tr = translator(language)
    with unit_of_work(seeded) as session:
        cards = [load_event_card(session, e.slug, language) for e in list_events(session)]
    for card in cards:
        assert card is not None
        pages = [
            *render_card(card, tr=tr),
            *render_event_about(card, tr),
            *render_assessments(card, tr),
        ]
        assert max(telegram_length(page) for page in pages) <= TELEGRAM_MESSAGE_LIMIT, card.slug
    seed = {e.slug: e for e in load_seed().events}
    for card in cards:
        assert card is not None
        translation = seed[card.slug].translations.get(language)
        assert card.title == (translation.title if translation else seed[card.slug].title)


def test_translations_export_and_import_back_exactly(seeded: sessionmaker[Session]) -> None:
    with_texts(seeded)
    document = exported(seeded)
    assert record(document, "events", MAKIIVKA)["translations"] == {
        "uk": {"title": "Удар по Макіївці", "summary": "Підсумок.", "date_note": None}
    }
    with unit_of_work(seeded) as session:
        plan = plan_import(session, DataSet.model_validate(document))
    assert not plan.has_changes


def test_an_import_changes_and_drops_translations_in_place(
    seeded: sessionmaker[Session],
) -> None:
    with_texts(seeded)
    document = exported(seeded)
    makiivka = record(document, "events", MAKIIVKA)
    makiivka["translations"] = {"ru": {"title": "Удар по Макеевке"}}
    with unit_of_work(seeded) as session:
        plan = plan_import(session, DataSet.model_validate(document))
        assert plan.count("event", Change.UPDATED) == 1
        apply_import(session, plan, actor="test")
    with unit_of_work(seeded) as session:
        russian = load_event_card(session, MAKIIVKA, "ru")
        ukrainian = load_event_card(session, MAKIIVKA, "uk")
        english = load_event_card(session, MAKIIVKA)
        rows = session.scalar(select(func.count(EventTranslation.id)))
    assert russian is not None and ukrainian is not None and english is not None
    assert russian.title == "Удар по Макеевке"
    assert ukrainian.title == english.title
    expected = DataSet.model_validate(document).events
    assert rows == sum(len(e.translations) for e in expected)


@pytest.mark.parametrize(
    ("translations", "problem"),
    [
        (
            {"de": {"title": "Angriff"}},
            "'de' is not a language the bot answers in; use one of uk, ru",
        ),
        ({"en": {"title": "Strike"}}, "'en' is the record's own text"),
        ({"uk": {"title": ""}}, "translations.uk.title: is empty: write the translation, or leave"),
        ({"uk": {}}, "a translation needs a title, a summary or a date_note"),
    ],
    ids=["unknown-language", "english", "empty-title", "nothing"],
)
def test_a_bad_translation_in_a_file_says_how_to_fix_it(
    translations: dict[str, dict[str, str]], problem: str
) -> None:
    event = {"slug": "t-strike", "title": "T", "summary": "S", "place": "P"}
    document = {"events": [event | {"translations": translations}]}
    with pytest.raises(DataSetFileError) as raised:
        dataset_from_bytes(yaml.safe_dump(document, allow_unicode=True).encode(), "t.yaml")
    assert "events[0] (t-strike)" in str(raised.value)
    assert problem in str(raised.value)


def test_a_claim_translation_in_an_unknown_language_is_refused() -> None:
    claim = {
        "key": "t-claim",
        "event": "t-strike",
        "claimant": "C",
        "metric": "killed",
        "summary": "S",
        "quote": "Q",
        "translations": {"fr": {"summary": "Résumé"}},
    }
    with pytest.raises(DataSetFileError, match="'fr' is not a language the bot answers in"):
        dataset_from_bytes(yaml.safe_dump({"claims": [claim]}).encode(), "t.yaml")
