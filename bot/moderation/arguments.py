"""Reading what moderators type: `key=value` arguments, quoted values and typed fields.

Pure functions, shared by one-line commands, the guided forms and the tests.
Every mistake raises `ModerationError` saying what was wrong and how to write it.
"""

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlsplit

from bot.moderation.errors import ModerationError
from db.limits import EVENT_SLUG_MAX, SLUG_RE, check_figure
from db.vocabulary import FIRST_YEAR, LAST_YEAR, Qualifier

# Only ASCII digits are numbers: '²'.isdigit() is true, but int('²') fails.
_WHOLE_NUMBER = re.compile(r"#?([0-9]+)")
# A JSON string may carry half of a UTF-16 surrogate pair, which no database can store.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

# Phones and desktop clients turn straight quotes into typographic ones as people type.
QUOTE_PAIRS = {'"': '"', "'": "'", "“": "”", "„": "“", "«": "»", "‘": "’"}
_KEY = re.compile(r"([A-Za-z][A-Za-z0-9_]*)=")

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class Arguments:
    positional: tuple[str, ...]
    named: tuple[tuple[str, str], ...]
    # Plain values after a key=value, with that key: usually an unquoted value with spaces.
    stray: tuple[tuple[str, str], ...] = ()


def whole_number(text: str) -> int | None:
    """`12` or `#12` as a number; None for anything else, superscripts and the like too."""
    found = _WHOLE_NUMBER.fullmatch(text.strip())
    return int(found.group(1)) if found else None


def check_text(text: str) -> None:
    """Refuse text that is not valid Unicode (a lone surrogate), before it reaches anything."""
    if _LONE_SURROGATE.search(text):
        raise ModerationError(
            "your message holds a broken character (half of a surrogate pair), so it cannot "
            "be stored; type it again without that character."
        )


def split_arguments(text: str) -> Arguments:
    """Split `test-strike "Тествіль" lang=uk` into positional values and key=value pairs.

    A value may be quoted ("...", '...', “...”, «...»); a quote closes only where
    whitespace or the end follows, so apostrophes inside words need no escaping,
    and `\\"` puts a double quote inside a double-quoted value.
    """
    check_text(text)
    positional: list[str] = []
    named: list[tuple[str, str]] = []
    stray: list[tuple[str, str]] = []
    position, length = 0, len(text)
    while True:
        while position < length and text[position].isspace():
            position += 1
        if position >= length:
            return Arguments(tuple(positional), tuple(named), tuple(stray))
        key = None
        match = _KEY.match(text, position)
        if match:
            key = match.group(1).lower()
            position = match.end()
        value, position = _read_value(text, position, key)
        if key is not None:
            named.append((key, value))
        elif named:
            stray.append((named[-1][0], value))
        else:
            positional.append(value)


def _read_value(text: str, position: int, key: str | None) -> tuple[str, int]:
    length = len(text)
    opening = text[position] if position < length else ""
    closing = QUOTE_PAIRS.get(opening)
    if closing is None:
        end = position
        while end < length and not text[end].isspace():
            end += 1
        return text[position:end], end
    chars: list[str] = []
    index = position + 1
    while index < length:
        char = text[index]
        if char == "\\" and opening == '"' and index + 1 < length and text[index + 1] in '"\\':
            chars.append(text[index + 1])
            index += 2
            continue
        if char == closing and (index + 1 == length or text[index + 1].isspace()):
            return "".join(chars), index + 1
        chars.append(char)
        index += 1
    where = f"the value of {key}" if key else "a value"
    raise ModerationError(
        f"{where} opens a quote ({opening}) that is never closed.",
        example=f'{key or "title"}="Strike on Testville"',
    )


# ---------------------------------------------------------------- typed values


def parse_text(key: str, value: str, max_length: int) -> str:
    text = value.strip()
    if not text:
        raise ModerationError(f"{key} is empty.", example=f'{key}="..."', key=key)
    if len(text) > max_length:
        raise ModerationError(
            f"{key} is {len(text)} characters long; at most {max_length} are allowed.", key=key
        )
    return text


def parse_slug(key: str, value: str, max_length: int = EVENT_SLUG_MAX) -> str:
    slug = value.strip()
    if not SLUG_RE.match(slug) or len(slug) > max_length:
        raise ModerationError(
            f"{key} {slug!r} is not a slug: use lower-case letters and digits joined by "
            f"hyphens, at most {max_length} characters.",
            example=f"{key}=test-strike",
            key=key,
        )
    return slug


def parse_date(key: str, value: str) -> dt.date:
    text = value.strip()
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError
        date = dt.date.fromisoformat(text)
    except ValueError:
        raise ModerationError(
            f"{key} {text[:30]!r} is not a date: write it as YYYY-MM-DD.",
            example=f"{key}=2023-01-10",
            key=key,
        ) from None
    if not FIRST_YEAR <= date.year <= LAST_YEAR:
        raise ModerationError(
            f"{key} {text} is outside {FIRST_YEAR}-{LAST_YEAR}; check the year.",
            example=f"{key}=2023-01-10",
            key=key,
        )
    return date


def parse_url(key: str, value: str) -> str:
    url = value.strip()
    parts = urlsplit(url)
    if (
        parts.scheme not in {"http", "https"}
        or not parts.netloc
        or any(c.isspace() for c in url)
        or len(url) > 2000
    ):
        raise ModerationError(
            f"{key} {url[:100]!r} is not a web address: it must start with http:// or https://.",
            example=f"{key}=https://example.org/article",
            key=key,
        )
    return url


def parse_urls(key: str, value: str) -> tuple[str, ...]:
    """One or more addresses separated by spaces or commas."""
    return tuple(parse_url(key, part) for part in re.split(r"[\s,]+", value.strip()) if part)


def choice_word(value: str) -> str:
    """A choice as typed, in the vocabulary's spelling: `No figure` -> `no_figure`."""
    return re.sub(r"[\s-]+", "_", value.strip().casefold())


def parse_choice(key: str, value: str, vocabulary: type[E]) -> E:
    word = choice_word(value)
    for member in vocabulary:
        if member.value == word:
            return member
    allowed = ", ".join(member.value for member in vocabulary)
    raise ModerationError(
        f"{key} {value.strip()[:60]!r} is not one of: {allowed}.",
        example=f"{key}={next(iter(vocabulary)).value}",
        key=key,
    )


def parse_language(key: str, value: str) -> str:
    code = value.strip().lower()
    if not re.fullmatch(r"[a-z]{2,3}", code):
        raise ModerationError(
            f"{key} {value.strip()[:20]!r} is not a language code (two or three letters).",
            example=f"{key}=uk",
            key=key,
        )
    return code


def parse_positive_int(key: str, value: str) -> int:
    number = whole_number(value)
    if number is None or number <= 0 or number >= 2**63:
        raise ModerationError(
            f"{key} {value.strip()[:30]!r} is not a number: write it in digits 0-9.",
            example=f"{key}=3",
            key=key,
        )
    return number


# ---------------------------------------------------------------- figures


@dataclass(frozen=True)
class Figure:
    """A figure as the claimant stated it: how (qualifier), the bounds, and the words."""

    qualifier: Qualifier
    low: int | None
    high: int | None
    wording: str


FIGURE_EXAMPLES = "63, about 400, more than 600, up to 400, 100-150, dozens or none"
MAX_FIGURE = 10**9

# fmt: off
_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "a hundred": 100, "one hundred": 100,
    "a thousand": 1000,
}
# fmt: on
_NUMBER = (
    r"(?:\d{1,3}(?:[,\u00a0\u202f]\d{3})+|\d+(?:\.\d+)?)(?:\s*(?:thousand|million|k)\b)?|"
    + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
)
_PREFIXES: dict[Qualifier, str] = {
    Qualifier.APPROX: r"about|around|approximately|approx\.?|roughly|some|nearly|almost|"
    r"close to|circa|ca\.|an estimated|estimated|~",
    Qualifier.AT_LEAST: r"at least|no fewer than|no less than|not less than|a minimum of|≥|>=",
    Qualifier.MORE_THAN: r"more than|over|above|in excess of|upwards of|>",
    Qualifier.UP_TO: r"up to|as many as|at most|no more than|not more than|a maximum of|"
    r"fewer than|less than|under|≤|<=|<",
    Qualifier.EXACT: r"exactly|precisely|a total of|another|the|only|just",
}
_RANGE = re.compile(
    rf"(?:(?:between|from|about|around|some)\s+)?({_NUMBER})\s*(?:-|to|and)\s*({_NUMBER})(?!\w)"
)
_SINGLE = re.compile(
    r"(?:(?P<prefix>"
    + "|".join(f"(?P<{q.name}>{pattern})" for q, pattern in _PREFIXES.items())
    + rf")\s*)?(?P<number>{_NUMBER})(?P<plus>\+)?(?!\w)"
)
_NONE = re.compile(r"(?:none|nobody|no one|nil|zero|0)(?!\w)|no (?!(?:fewer|less|more) than)")
_VAGUE = re.compile(
    r"(?:(?:a|in the|many|several)\s+)?(?:few|several|many|numerous|multiple|dozens|scores|"
    r"hundreds|thousands|tens|heavy|massive|significant|countless|some)(?!\w)"
)


def _number(text: str) -> int:
    text = text.strip()
    if text in _NUMBER_WORDS:
        return _NUMBER_WORDS[text]
    multiplier = 1
    for word, factor in (("thousand", 1000), ("million", 10**6), ("k", 1000)):
        if text.endswith(word):
            multiplier, text = factor, text[: -len(word)].strip()
    digits = re.sub(r"[,\u00a0\u202f]", "", text)
    value = float(digits) * multiplier
    if value != int(value):
        raise ValueError(f"{text} is not a whole number")
    return int(value)


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text.casefold().replace("–", "-").replace("—", "-")).strip()


def parse_figure(value: str, qualifier: Qualifier | None = None) -> Figure:
    """`about 400` -> approx 400..400, in the claimant's own words.

    Without a qualifier it is read from the wording; with one (for wordings such as
    "denied" or "300 injuries" that the words alone do not settle) only the numbers are.
    """
    wording = value.strip()
    if not wording:
        raise ModerationError("figure is empty.", example='figure="about 400"', key="figure")
    if len(wording) > 500:
        raise ModerationError(
            "figure is longer than 500 characters: give the figure only.", key="figure"
        )
    text = _normalised(wording)
    try:
        figure = _given(qualifier, text, wording) if qualifier else _read(text, wording)
        if figure is None:
            raise ValueError("no figure found")
        if any(n is not None and n > MAX_FIGURE for n in (figure.low, figure.high)):
            raise ValueError(f"figures above {MAX_FIGURE:,} are not accepted")
        check_figure(figure.qualifier, figure.low, figure.high, figure.wording)
    except ValueError as error:
        how = f"as {qualifier.value}" if qualifier else "as written"
        raise ModerationError(
            f"figure {wording[:80]!r} does not parse {how} ({error}). Write it as the claimant "
            f"said it, e.g. {FIGURE_EXAMPLES}; add qualifier=... when the words do not "
            "say how it was stated.",
            example='figure="about 400"',
            key="figure",
        ) from None
    return figure


def _read(text: str, wording: str) -> Figure | None:
    match = _RANGE.match(text)
    if match:
        return Figure(Qualifier.RANGE, _number(match.group(1)), _number(match.group(2)), wording)
    if _NONE.match(text):
        return Figure(Qualifier.NONE, 0, 0, wording)
    match = _SINGLE.match(text)
    if match:
        number = _number(match.group("number"))
        found = Qualifier.EXACT
        if match.group("prefix"):
            found = next(q for q in _PREFIXES if match.group(q.name))
        if match.group("plus") and found == Qualifier.EXACT:
            found = Qualifier.AT_LEAST
        return _bounds(found, [number], wording)
    if _VAGUE.match(text):
        return Figure(Qualifier.VAGUE, None, None, wording)
    return None


def _given(qualifier: Qualifier, text: str, wording: str) -> Figure:
    numbers = [_number(m.group(0)) for m in re.finditer(rf"(?<!\w)(?:{_NUMBER})(?!\w)", text)]
    return _bounds(qualifier, numbers, wording)


def _bounds(qualifier: Qualifier, numbers: Sequence[int], wording: str) -> Figure:
    needed = {Qualifier.VAGUE: 0, Qualifier.NONE: 0, Qualifier.RANGE: 2}.get(qualifier, 1)
    if len(numbers) < needed:
        raise ValueError(f"{qualifier.value} needs {needed} number{'s' * (needed > 1)}")
    first = numbers[0] if numbers else None
    match qualifier:
        case Qualifier.EXACT | Qualifier.APPROX:
            return Figure(qualifier, first, first, wording)
        case Qualifier.AT_LEAST | Qualifier.MORE_THAN:
            return Figure(qualifier, first, None, wording)
        case Qualifier.UP_TO:
            return Figure(qualifier, None, first, wording)
        case Qualifier.RANGE:
            return Figure(qualifier, numbers[0], numbers[1], wording)
        case Qualifier.VAGUE:
            return Figure(qualifier, None, None, wording)
        case Qualifier.NONE:
            return Figure(qualifier, 0, 0, wording)
