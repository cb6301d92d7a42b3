"""The languages the bot answers in, and each language's words, plurals, dates and numbers.

Rendering code takes a `Tr` (one language's translator, from `translator(language)`) and asks
it for every user-visible string, so rendering stays a pure function of its arguments:

    tr.gettext("Related events")
    tr.ngettext("{count} claim", "{count} claims", n).format(count=tr.number(n))
    tr.pgettext("verification status", "disputed")
    tr.date(day)          # "9 Jan 2023", "9 січ. 2023", "9 янв. 2023"

A string kept in a module-level constant is marked with `N_("...")` (which returns it
unchanged) and translated where it is used: `tr.gettext(STATUS_MEANINGS[status])`. Placeholders
are named `{braces}` filled with `str.format` after translating, so a translation may reorder
them; `tests/test_i18n.py` fails when a translation's placeholders differ from the source's
or when a marked string lacks a Ukrainian or Russian translation.

The source strings are English (no catalogue). The catalogues are gettext files in
`bot/locale/<language>/LC_MESSAGES/claimbot.po`, extracted with Babel (settings in
`babel.cfg`, template `bot/locale/claimbot.pot`) and compiled to the `.mo` files beside them,
which are committed so a checkout, an editable install and a wheel all work without a build
step (`tests/test_i18n.py` checks they match the `.po` files). `make translations` extracts,
updates the `.po` files and compiles them; translate the new entries (empty `msgstr`) and
run it again. The web site's templates mark their words with `_()` and `ngettext()`
(Jinja2's i18n extension, `bot/web/pages.py`), extracted the same way.

Adding a language: add its code to `Language` (and `LANGUAGE_NAMES`), run
`.venv/bin/pybabel init -D claimbot -i bot/locale/claimbot.pot -d bot/locale -l CODE`,
translate its `.po` file and run `make translations`.

English never imports Babel (the cold `claimbot ask` path stays light): its dates and numbers
are formatted as Babel's English locale does, which `tests/test_i18n.py` checks.
"""

import datetime as dt
import gettext
import re
from functools import cache
from pathlib import Path
from typing import Literal, TypeGuard, get_args

Language = Literal["en", "uk", "ru"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "en"
# Each language in its own words, for the /language buttons.
LANGUAGE_NAMES: dict[Language, str] = {"en": "English", "uk": "Українська", "ru": "Русский"}

DOMAIN = "claimbot"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

# Babel's (CLDR's) pattern: a day with its month abbreviated.
_DATE_PATTERN = "d MMM y"


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; it is translated where used."""
    return message


def is_language(code: str | None) -> TypeGuard[Language]:
    return code in LANGUAGES


def language_of(code: str | None) -> Language | None:
    """A language from a code such as Telegram's `language_code` ('uk', 'ru-RU'), if ours."""
    if not code:
        return None
    base = code.split("-")[0].split("_")[0].lower()
    return base if is_language(base) else None


# Letters only one of the two languages writes (Ukrainian і ї є ґ, Russian ы э ъ ё).
_UKRAINIAN_ONLY = frozenset("іїєґІЇЄҐ")
_RUSSIAN_ONLY = frozenset("ыэъёЫЭЪЁ")
_CYRILLIC = re.compile(r"[а-яёіїєґ]", re.IGNORECASE)
# Ukrainian writes і, ї or є in nearly every phrase ("і" is among its commonest letters), so
# a question this long in Cyrillic without any of them is Russian ("сколько погибло в
# Макеевке"); a shorter one (a name, "Макеевка") may be either.
RUSSIAN_WITHOUT_TELLING_LETTERS = 12


def question_language(text: str) -> Language | None:
    """Ukrainian or Russian when the question's letters say so clearly; else None (Latin
    letters, a few Cyrillic letters without a telling one, or letters of both)."""
    letters = set(text)
    ukrainian, russian = bool(letters & _UKRAINIAN_ONLY), bool(letters & _RUSSIAN_ONLY)
    if ukrainian and not russian:
        return "uk"
    if russian and not ukrainian:
        return "ru"
    if not ukrainian and len(_CYRILLIC.findall(text)) >= RUSSIAN_WITHOUT_TELLING_LETTERS:
        return "ru"
    return None


def reply_language(
    chosen: Language | None, question: str | None, telegram_code: str | None
) -> Language:
    """The language to answer in: the reader's (or group's) choice, else the question's
    when it is clearly Ukrainian or Russian, else Telegram's language of the user when it is
    one of ours, else English."""
    if chosen is not None:
        return chosen
    return (
        (question_language(question) if question else None)
        or language_of(telegram_code)
        or DEFAULT_LANGUAGE
    )


class Tr:
    """One language's translations and formats, for rendering code."""

    __slots__ = ("_catalogue", "language")

    def __init__(self, language: Language, catalogue: gettext.NullTranslations) -> None:
        self.language = language
        self._catalogue = catalogue

    def __repr__(self) -> str:
        return f"Tr({self.language!r})"

    def gettext(self, message: str) -> str:
        return self._catalogue.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._catalogue.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self._catalogue.pgettext(context, message)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self._catalogue.npgettext(context, singular, plural, n)

    def number(self, n: int) -> str:
        """A whole number with the language's digit grouping ('1,200', '1 200')."""
        if self.language == "en":
            return f"{n:,}"
        from babel.numbers import format_decimal

        return format_decimal(n, locale=self.language)

    def date(self, day: dt.date) -> str:
        """A day, its month abbreviated: '9 Jan 2023'."""
        if self.language == "en":
            return f"{day.day} {day:%b %Y}"
        from babel.dates import format_date

        return format_date(day, _DATE_PATTERN, locale=self.language)

    def day_range(self, start: dt.date, end: dt.date) -> str:
        """Two days: '9–11 Jan 2023' in one month, else '30 Dec 2022 – 2 Jan 2023'."""
        if (start.year, start.month) != (end.year, end.month):
            return f"{self.date(start)} – {self.date(end)}"
        return f"{start.day}–{self.date(end)}"


@cache
def translator(language: Language) -> Tr:
    """The translator for a language; English is the source strings themselves."""
    if language == DEFAULT_LANGUAGE:
        return Tr(language, gettext.NullTranslations())
    return Tr(language, gettext.translation(DOMAIN, LOCALE_DIR, languages=[language]))


ENGLISH = translator(DEFAULT_LANGUAGE)
