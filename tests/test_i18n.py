"""The catalogues: every marked string translated, placeholders kept, plurals and formats right."""

import datetime as dt
import gettext
import re
from pathlib import Path

import pytest
from babel.dates import format_date
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import (
    DOMAIN,
    LANGUAGES,
    LOCALE_DIR,
    Language,
    language_of,
    question_language,
    reply_language,
    translator,
)
from bot.rendering import claim_count

ROOT = Path(__file__).resolve().parents[1]
TRANSLATED = [language for language in LANGUAGES if language != "en"]
# Named placeholders ("{count}"), any printf-style ones ("%s", "%(name)d") and HTML tags, which
# a translation must keep for the reply to stay valid Telegram HTML.
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%(?:\([^)]*\))?[sdifr]|</?[a-z]+>")


def marked_strings() -> set[tuple[str | None, str | tuple[str, ...]]]:
    """(context, message) of every string the code marks, extracted as `make translations` does."""
    found = set()
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT / "bot"), method_map, options_map
    ):
        found.add((context, message if isinstance(message, str) else tuple(message)))
    return found


def catalogue(language: str) -> Catalog:
    with (LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        return read_po(po, locale=language)


def placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def _forms(message: Message) -> list[str]:
    string = message.string
    return list(string) if isinstance(string, tuple | list) else [string or ""]


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_marked_string_has_a_translation(language: str) -> None:
    po = catalogue(language)
    missing = []
    for context, message in sorted(marked_strings(), key=str):
        msgid = message if isinstance(message, str) else message[0]
        entry = po.get(msgid, context=context)
        if entry is None or entry.fuzzy or not all(_forms(entry)):
            missing.append((context, msgid))
    assert missing == [], f"run `make translations` and translate these in {language}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders_of_their_source(language: str) -> None:
    differing = []
    for entry in catalogue(language):
        if not entry.id:
            continue  # the header
        sources = [entry.id] if isinstance(entry.id, str) else list(entry.id)
        # Every plural form names what the plural source names (one form may spell "1").
        wanted = placeholders(sources[-1])
        for form in _forms(entry):
            if form and placeholders(form) != wanted:
                differing.append((entry.id, form))
    assert differing == []


def test_the_placeholder_check_can_fail() -> None:
    assert placeholders("{count} claims") != placeholders("{число} заяв")
    assert placeholders("{count} claims") == placeholders("{count} заяв")
    assert placeholders("<b>Commands</b>") != placeholders("<b>Команди")


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogues_match_their_sources(language: str) -> None:
    """The committed .mo files say what the .po files say (`make translations` compiles)."""
    compiled = gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])
    for entry in catalogue(language):
        if not entry.id or entry.fuzzy:
            continue
        if isinstance(entry.id, str):
            got = (
                compiled.pgettext(entry.context, entry.id)
                if entry.context
                else compiled.gettext(entry.id)
            )
            assert got == entry.string, entry.id
        else:
            singular, plural = entry.id[0], entry.id[1]
            forms = _forms(entry)
            for n, form in ((1, 0), (2, 1), (5, 2)):
                got = (
                    compiled.npgettext(entry.context, singular, plural, n)
                    if entry.context
                    else compiled.ngettext(singular, plural, n)
                )
                assert got == forms[form], (entry.id, n)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["1 claim", "2 claims", "5 claims", "11 claims", "21 claims", "1,002 claims"]),
        ("uk", ["1 заява", "2 заяви", "5 заяв", "11 заяв", "21 заява", "1 002 заяви"]),
        (
            "ru",
            [
                "1 заявление",
                "2 заявления",
                "5 заявлений",
                "11 заявлений",
                "21 заявление",
                "1 002 заявления",
            ],
        ),
    ],
)
def test_claim_counts_follow_each_languages_plural_rules(
    language: Language, expected: list[str]
) -> None:
    tr = translator(language)
    shown = [claim_count(tr, n).replace("\xa0", " ") for n in (1, 2, 5, 11, 21, 1002)]
    assert shown == expected


def test_dates_in_each_language() -> None:
    day, other = dt.date(2023, 1, 9), dt.date(2023, 1, 11)
    assert translator("en").date(day) == "9 Jan 2023"
    assert translator("uk").date(day) == "9 січ. 2023"
    assert translator("ru").date(day) == "9 янв. 2023"
    assert translator("uk").day_range(day, other) == "9–11 січ. 2023"
    assert translator("en").day_range(dt.date(2022, 12, 31), day) == "31 Dec 2022 – 9 Jan 2023"


@given(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
    st.integers(min_value=0, max_value=10**9),
)
def test_english_formats_without_babel_are_babels(day: dt.date, n: int) -> None:
    # English skips importing Babel on the cold path; it must still write what Babel would.
    english = translator("en")
    assert english.date(day) == format_date(day, "d MMM y", locale="en")
    assert english.number(n) == format_decimal(n, locale="en")


@pytest.mark.parametrize(
    ("code", "language"),
    [("uk", "uk"), ("ru-RU", "ru"), ("en-GB", "en"), ("de", None), (None, None), ("", None)],
)
def test_language_codes(code: str | None, language: str | None) -> None:
    assert language_of(code) == language


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("скільки загинуло в Макіївці?", "uk"),
        ("Скільки дронів летіло на Київ?", "uk"),
        ("сколько погибло в Макеевке?", "ru"),
        ("сколько человек погибло в Краматорске", "ru"),  # long, and no Ukrainian letter
        ("Макеевка", None),  # a name, either language's
        ("Краматорськ", None),  # likewise (Ukrainian spelling, no telling letter)
        ("how many died at Makiivka?", None),
        ("Київ или Киев? ёлки", None),  # letters of both
    ],
)
def test_a_question_is_ukrainian_or_russian_only_when_its_letters_say_so(
    question: str, language: str | None
) -> None:
    assert question_language(question) == language


def test_the_reply_language_follows_choice_then_question_then_telegram() -> None:
    ukrainian, russian, latin = "скільки загинуло?", "сколько погибло в Макеевке?", "makiivka"
    assert reply_language("en", ukrainian, "uk") == "en"  # a choice wins
    assert reply_language(None, russian, "uk") == "ru"  # then the question's letters
    assert reply_language(None, latin, "uk") == "uk"  # Latin keeps the Telegram language
    assert reply_language(None, latin, "de") == "en"
    assert reply_language(None, None, None) == "en"
