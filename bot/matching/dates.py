"""Dates: the dates a text names, and the window of days an event covers.

A question about another time must not get this event's claims; a question naming this
event's time (a day, a weekday, "New Year's Eve") is evidence for it.
"""

import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.matching.text import DIGIT, clean, words


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date as precise as the text gives it: any of the parts may be missing.

    A soft mention is one a text gives relative to something else ("on Monday", "New Year's
    Eve", "over the weekend"): it is evidence when it fits an event, never against one,
    because the text may date a statement about the event rather than the event itself."""

    year: int | None
    month: int | None
    day: int | None
    weekday: int | None = None  # 0 = Monday
    soft: bool = False


_MONTHS_RAW = (
    "january jan januar jänner styczeń stycznia styczniu січень січня січні январь января январе",
    "february feb februar luty lutego lutym лютий лютого лютому февраль февраля феврале",
    "march mar märz marzec marca marcu березень березня березні март марта марте",
    "april apr kwiecień kwietnia kwietniu квітень квітня квітні апрель апреля апреле",
    "may mai maj maja maju травень травня травні май мая мае",
    "june jun juni czerwiec czerwca czerwcu червень червня червні июнь июня июне",
    "july jul juli lipiec lipca lipcu липень липня липні июль июля июле",
    "august aug sierpień sierpnia sierpniu серпень серпня серпні август августа августе",
    "september sep sept wrzesień września wrześniu вересень вересня вересні сентябрь "
    "сентября сентябре",
    "october oct oktober październik października październiku жовтень жовтня жовтні "
    "октябрь октября октябре",
    "november nov listopad listopada listopadzie листопад листопада листопаді ноябрь ноября ноябре",
    "december dec dezember grudzień grudnia grudniu грудень грудня грудні декабрь декабря декабре",
)
# Month word (cleaned, exact: keys would merge too much) → month number.
MONTHS: dict[str, int] = {
    word: number for number, raw in enumerate(_MONTHS_RAW, start=1) for word in words(clean(raw))
}
# English words that are months only next to a day or a year ("May 2023", not "Russia may").
_AMBIGUOUS_MONTHS = frozenset({"may", "march", "mar", "jan"})
_ORDINAL = re.compile(r"^(\d{1,2})(?:st|nd|rd|th|go|ogo|e|ego)?$")
_NUMERIC_DATES = (
    # 2023-01-06
    (re.compile(r"\b((?:19|20)\d\d)-(\d{1,2})-(\d{1,2})\b"), (1, 2, 3)),
    # 06.01.2023, 6/1/2023 — day first, as written in Europe
    (re.compile(r"\b(\d{1,2})[./](\d{1,2})[./]((?:19|20)?\d\d)\b"), (3, 2, 1)),
)


def _year(text: str) -> int | None:
    value = int(text)
    if value < 100:
        value += 2000
    return value if 1900 <= value <= 2099 else None


def _day(word: str) -> int | None:
    found = _ORDINAL.match(word)
    if found is None:
        return None
    value = int(found.group(1))
    return value if 1 <= value <= 31 else None


def _exists(year: int | None, month: int, day: int | None) -> bool:
    """Whether the day exists: text that names "31 April" or "30 February" names no date."""
    if day is None:
        return 1 <= month <= 12
    try:
        dt.date(2000 if year is None else year, month, day)  # 2000: 29 February exists
    except ValueError:
        return False
    return True


def _full_year(word: str) -> int | None:
    return _year(word) if len(word) == 4 and word.isdigit() else None


def _numeric_date(
    groups: tuple[int, int, int], mentions: list[DateMention], found: re.Match[str]
) -> str:
    """Record a numeric date (year, month, day at `groups`) and blank it out, if it is one."""
    year = _year(found.group(groups[0]))
    month, day = int(found.group(groups[1])), int(found.group(groups[2]))
    if year is None or not _exists(year, month, day):
        return found.group(0)
    mentions.append(DateMention(year, month, day))
    return " "


def find_dates(cleaned: str) -> tuple[list[DateMention], str]:
    """Dates in a cleaned text, and the text with the words that named them taken out."""
    mentions: list[DateMention] = []

    if DIGIT.search(cleaned):
        for pattern, groups in _NUMERIC_DATES:
            cleaned = pattern.sub(functools.partial(_numeric_date, groups, mentions), cleaned)
    tokens = words(cleaned)
    if not mentions and MONTHS.keys().isdisjoint(tokens) and not DIGIT.search(cleaned):
        return mentions, cleaned
    used: set[int] = set()
    for index, word in enumerate(tokens):
        month = MONTHS.get(word)
        if month is None:
            continue
        day = year = None
        parts = {index}
        before = [i for i in (index - 1, index - 2) if i >= 0 and i not in used]
        after = [i for i in (index + 1, index + 2) if i < len(tokens)]
        for i in before:
            if (day := _day(tokens[i])) is not None:
                parts.add(i)
                break
        if after and day is None and (day := _day(tokens[after[0]])) is not None:
            parts.add(after.pop(0))
        # A year follows the month directly or after its day ("January 6, 2023").
        if after and (year := _full_year(tokens[after[0]])) is not None:
            parts.add(after[0])
        if word in _AMBIGUOUS_MONTHS and day is None and year is None:
            continue
        if not _exists(year, month, day):
            continue
        mentions.append(DateMention(year, month, day))
        used |= parts
    for index, word in enumerate(tokens):
        if index not in used and (year := _full_year(word)) is not None:
            mentions.append(DateMention(year, None, None))
            used.add(index)
    rest = " ".join(word for index, word in enumerate(tokens) if index not in used)
    return mentions, rest


_WEEKDAYS_RAW = (
    "monday montag poniedziałek poniedzialek понеділок понеділка понедельник",
    "tuesday dienstag wtorek вівторок вівторка вторник",
    "wednesday mittwoch środa sroda середа середу среда среду",
    "thursday donnerstag czwartek четвер четверга четверг",
    "friday freitag piątek piatek пʼятниця пятница пятницу пятниці",
    "saturday samstag sonnabend sobota sobotę субота суботу суботи суббота субботу",
    "sunday sonntag niedziela niedzielę неділя неділю неділі воскресенье",
)
_WEEKDAYS: dict[str, int] = {
    word: number for number, raw in enumerate(_WEEKDAYS_RAW) for word in words(clean(raw))
}
_WEEKEND = frozenset(words(clean("weekend wochenende weekendu вихідні выходные")))
# "New Year's Eve", "Silvester", "новогодняя ночь": the night from 31 December to 1 January.
_NEW_YEAR_EVE = re.compile(
    r"\b(?:new years? (?:eve|night)|nye|silvester\w*|sylwest\w*|novorichn\w* nich\w*|"
    r"novogodn\w* noch\w*|noworoczn\w* noc\w*|neujahrsnacht)\b"
)
_NEW_YEAR_DAY = re.compile(r"\bnew years? day\b|\bneujahr(?:stag)?\b")
# "New Year's Eve 2023" is 31 December 2023, whatever the night it ran into.
_DATED_NEW_YEAR = re.compile(r"\bnew years? (eve|night|day) ((?:19|20)\d\d)\b")


def dated_new_years(cleaned: str) -> list[DateMention]:
    """New Year's Eve, night or Day with a year: a full date, as firm as any other."""
    return [
        DateMention(int(year), 1, 1) if part == "day" else DateMention(int(year), 12, 31)
        for part, year in _DATED_NEW_YEAR.findall(cleaned)
    ]


def relative_dates(cleaned: str) -> list[DateMention]:
    """Soft mentions of days a text gives relative to others: weekdays, a weekend, the New
    Year's night; they are resolved against an event's window, not against today."""
    mentions: list[DateMention] = []
    tokens = words(cleaned)
    for word in tokens:
        if (weekday := _WEEKDAYS.get(word)) is not None:
            mentions.append(DateMention(None, None, None, weekday, soft=True))
        elif word in _WEEKEND:
            mentions += [DateMention(None, None, None, day, soft=True) for day in (5, 6)]
    if _NEW_YEAR_EVE.search(cleaned):
        mentions += [DateMention(None, 12, 31, soft=True), DateMention(None, 1, 1, soft=True)]
    elif _NEW_YEAR_DAY.search(cleaned):
        mentions.append(DateMention(None, 1, 1, soft=True))
    return mentions


def dateless_words(cleaned: str) -> list[str]:
    """The words of a cleaned text except those that name a date."""
    tokens = words(cleaned)
    if MONTHS.keys().isdisjoint(tokens) and not DIGIT.search(cleaned):
        return tokens
    return words(find_dates(cleaned)[1])


def _shifted(day: dt.date, days: int) -> dt.date:
    """`day` moved by `days`, held within the calendar (0001-01-01 .. 9999-12-31)."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.min if days < 0 else dt.date.max


@dataclass(frozen=True, slots=True)
class DateWindow:
    """When an event happened. An approximate window comes from the dates its articles give
    (for an event without dates of its own) and admits a question's date within a month."""

    start: dt.date
    end: dt.date
    approximate: bool = False
    # For an event its texts date by month only ("in mid-January"): those months, any year.
    months: frozenset[int] = frozenset()

    def knows(self, mention: DateMention) -> bool:
        """Whether the window can tell if the mention fits: a year, for an event dated by
        month only, it cannot."""
        return not self.months or mention.month is not None

    def admits(self, mention: DateMention) -> bool:
        """Whether a date the question names can fall in this window. A full date may lie a
        day off (a strike after midnight is "the night of the 31st"); a year or a month must
        lie within the window's own (New Year's Eve 2022 is no date of 2023)."""
        if self.months:
            return mention.month is None or mention.month in self.months
        margin = 0
        if self.approximate:
            margin = APPROXIMATE_MARGIN_DAYS
        elif mention.day is not None and mention.year is not None:
            margin = 1
        first = _shifted(self.start, -margin)
        last = _shifted(self.end, margin)
        if mention.year is not None and mention.day is None:
            years = (
                (first.year, last.year) if self.approximate else (self.start.year, self.end.year)
            )
            if not years[0] <= mention.year <= years[1]:
                return False
        if mention.month is None and mention.weekday is None:
            return True
        if mention.year is not None:
            # Only the named year (and a day either side) can hold the date: a window of
            # centuries is not walked day by day.
            first = max(first, _shifted(dt.date(mention.year, 1, 1), -1))
            last = min(last, _shifted(dt.date(mention.year, 12, 31), 1))
        day = first
        # Windows are days or weeks long; the cap keeps a mis-dated event cheap to check.
        for _ in range(400):
            if day > last:
                break
            if (
                (mention.year is None or day.year == mention.year)
                and (mention.month is None or day.month == mention.month)
                and (mention.day is None or day.day == mention.day)
                and (mention.weekday is None or day.weekday() == mention.weekday)
            ):
                return True
            if day == dt.date.max:
                break
            day += dt.timedelta(days=1)
        return False


# An approximate window admits a date this much before or after the dates its articles give.
APPROXIMATE_MARGIN_DAYS = 31


def window_from_mentions(mentions: Iterable[DateMention]) -> DateWindow | None:
    """The approximate span of the dates an event's own texts give (for events without
    dates): only full dates and months of a known year count."""
    spans: list[tuple[dt.date, dt.date]] = []
    for mention in mentions:
        if mention.month is None or mention.year is None or mention.soft:
            continue
        first = dt.date(mention.year, mention.month, mention.day or 1)
        if mention.day is not None:
            last = first
        else:
            following = dt.date(mention.year + mention.month // 12, mention.month % 12 + 1, 1)
            last = following - dt.timedelta(days=1)
        spans.append((first, last))
    if not spans:
        return None
    return DateWindow(min(s for s, _ in spans), max(e for _, e in spans), approximate=True)


def window_of_months(mentions: Iterable[DateMention]) -> DateWindow | None:
    """The months an event's summary names without a year ("in mid-January"), if any."""
    months = frozenset(m.month for m in mentions if m.month is not None and not m.soft)
    if not months:
        return None
    return DateWindow(dt.date.min, dt.date.max, approximate=True, months=months)
