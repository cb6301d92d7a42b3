"""Callback data of every inline button, user and moderator: one codec, one prefix per kind.

Each kind of button has a prefix, an encoder that keeps its data within Telegram's 64
bytes, and a decoder that returns None for anything this bot never sends (forged,
truncated or from an older version), so a handler answers it with a clear message
instead of failing. `matches` gives each handler the buttons of its prefix.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import Language, is_language

CALLBACK_DATA_LIMIT = 64
# Ids and page numbers are ASCII digits within the database's integers: "²".isdigit() is
# true but int("²") fails, and a 30-digit id overflows the database's integer columns.
_NUMBER = re.compile(r"[0-9]{1,10}")
_NUMBER_LIMIT = 2**31


class Prefix(StrEnum):
    SHOW_EVENT = "e"  # pick an event from a list or a question: the card replaces that message
    OPEN_EVENT = "o"  # open another event from a card: the card stays, the new one follows it
    # Paged buttons put the page in the prefix and pack the slug (see `pack_slug`), so any
    # page of an event with a 60-character slug fits: "p12:<packed slug>".
    CARD_PAGE = "p"
    PAGE_CHOOSER = "g"  # the card's page numbers to jump to, shown from the page in the prefix
    ABOUT_PAGE = "i"  # a page of an event's About pages, in the card's message
    ASSESSMENTS_PAGE = "a"  # a page of an event's full assessments, likewise
    EVENTS_PAGE = "ev"
    EXAMPLE = "x"
    NONE_OF_THESE = "n"  # none of the events offered for a question is the one meant
    # 👍/👎 under a card ("f:u:<question>:<packed slug>") and, after 👎, what was wrong.
    FEEDBACK = "f"
    FEEDBACK_REASON = "fr"
    LANGUAGE = "l"  # the language of the bot's replies in this chat, chosen with /language
    FOLLOW = "fo"  # follow an event: its slug, so any slug fits ("fo:" and 60 characters)
    UNFOLLOW = "uf"
    FORM_ANSWER = "mf"  # a choice in a moderator's guided form
    FORM_BACK = "mb"  # back to the form's previous question
    SAVE = "mk"  # save a previewed change
    CANCEL = "mn"  # drop a previewed change
    HISTORY_PAGE = "mh"
    INBOX_PAGE = "ip"  # a page of the moderators' inbox
    INBOX_ITEM = "it"  # one inbox item with its actions
    INBOX_ACTION = "ix"  # an action on an inbox item: "ix:<action>:<item>:<argument>"
    STATS = "st"  # the moderators' figures for the last N days


# Buttons that carry a page number in their prefix.
PAGED = frozenset(
    {Prefix.CARD_PAGE, Prefix.PAGE_CHOOSER, Prefix.ABOUT_PAGE, Prefix.ASSESSMENTS_PAGE}
)
_PAGED_HEAD = re.compile(r"([pgia])([0-9]{1,10})")

# Buttons under a reply carry its language as a letter after their prefix ("p3u:...",
# "eu:makiivka-strike"), so what they show next is in the language of the reply they are
# under, whatever decided it (the question's letters, say). Data without it is read in the
# reader's language.
TAGGED = frozenset(
    {
        Prefix.SHOW_EVENT,
        Prefix.OPEN_EVENT,
        *PAGED,
        Prefix.EVENTS_PAGE,
        Prefix.NONE_OF_THESE,
        Prefix.EXAMPLE,
    }
)
_LANGUAGE_LETTERS: dict[Language, str] = {"en": "e", "uk": "u", "ru": "r"}
_LETTER_LANGUAGES = {letter: language for language, letter in _LANGUAGE_LETTERS.items()}

# A slug is a word over 37 characters; read as a number (bijective base 37, so no two
# slugs share one) and written in the 94 printable ASCII characters, a 60-character slug
# takes 48 bytes, which leaves room for a ten-digit page and a language letter within
# Telegram's 64.
_SLUG_CHARACTERS = "-0123456789abcdefghijklmnopqrstuvwxyz"
_PACKED_CHARACTERS = "".join(chr(c) for c in range(33, 127))
_SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PACKED_SLUG_MAX = 48


def _checked(data: str) -> str:
    if len(data.encode()) > CALLBACK_DATA_LIMIT:
        raise ValueError(f"callback data over {CALLBACK_DATA_LIMIT} bytes: {data!r}")
    return data


def _untagged(head: str) -> tuple[str, Language | None]:
    """A button's head without its language letter, and that language (if it has one)."""
    base, letter = head[:-1], head[-1:]
    if letter in _LETTER_LANGUAGES and (base in TAGGED or _PAGED_HEAD.fullmatch(base)):
        return base, _LETTER_LANGUAGES[letter]
    return head, None


def in_language(data: str, language: Language) -> str:
    """The button's data saying the language of the reply it is under (a button of a kind
    that does not say it is left as it is)."""
    head, argument = data.split(":", 1)
    if _PAGED_HEAD.fullmatch(head) is None and head not in TAGGED:
        return data
    return _checked(f"{head}{_LANGUAGE_LETTERS[language]}:{argument}")


def language_of_button(data: object) -> Language | None:
    """The language of the reply a button was under, if its data says it."""
    if not isinstance(data, str) or ":" not in data:
        return None
    return _untagged(data.split(":", 1)[0])[1]


def _split(data: object) -> tuple[str, str] | None:
    """(prefix, argument) of well-formed data; the page of a card button is in its argument."""
    # A JSON body can carry a lone surrogate, which strict UTF-8 cannot encode.
    if not isinstance(data, str) or ":" not in data:
        return None
    if len(data.encode("utf-8", "surrogatepass")) > CALLBACK_DATA_LIMIT:
        return None
    head, argument = data.split(":", 1)
    head = _untagged(head)[0]
    page = _PAGED_HEAD.fullmatch(head)
    if page:
        return Prefix(page.group(1)), f"{page.group(2)}:{argument}"
    if head in PAGED:  # a page button without its page
        return None
    return head, argument


def prefix_of(data: object) -> str | None:
    split = _split(data)
    return split[0] if split else None


def matches(*prefixes: Prefix) -> Callable[[object], bool]:
    """A `CallbackQueryHandler` pattern: the buttons of these prefixes, well-formed or not."""
    wanted = {str(p) for p in prefixes}
    return lambda data: prefix_of(data) in wanted


def _number(text: str) -> int | None:
    if not _NUMBER.fullmatch(text) or int(text) >= _NUMBER_LIMIT:
        return None
    return int(text)


# ---------------------------------------------------------------- user buttons


def show_event(slug: str) -> str:
    return _checked(f"{Prefix.SHOW_EVENT}:{slug}")


def open_event(slug: str) -> str:
    return _checked(f"{Prefix.OPEN_EVENT}:{slug}")


def follow(slug: str) -> str:
    return _checked(f"{Prefix.FOLLOW}:{slug}")


def unfollow(slug: str) -> str:
    return _checked(f"{Prefix.UNFOLLOW}:{slug}")


def pack_slug(slug: str) -> str:
    number = 0
    for character in reversed(slug):
        number = number * len(_SLUG_CHARACTERS) + _SLUG_CHARACTERS.index(character) + 1
    packed = []
    while number:
        number, digit = divmod(number, len(_PACKED_CHARACTERS))
        packed.append(_PACKED_CHARACTERS[digit])
    return "".join(packed)


def unpack_slug(packed: str) -> str | None:
    """The slug `pack_slug` packed, or None for data it cannot have made."""
    if len(packed) > _PACKED_SLUG_MAX or any(c not in _PACKED_CHARACTERS for c in packed):
        return None
    number = 0
    for character in reversed(packed):
        number = number * len(_PACKED_CHARACTERS) + _PACKED_CHARACTERS.index(character)
    slug = []
    while number:
        number, digit = divmod(number - 1, len(_SLUG_CHARACTERS))
        slug.append(_SLUG_CHARACTERS[digit])
    text = "".join(slug)
    return text if _SLUG_PATTERN.fullmatch(text) else None


def _paged(prefix: Prefix, slug: str, page: int) -> str:
    return _checked(f"{prefix}{page}:{pack_slug(slug)}")


def card_page(slug: str, page: int) -> str:
    """Turn a card's page: the same message shows page `page` (from 0) of its claims."""
    return _paged(Prefix.CARD_PAGE, slug, page)


def page_chooser(slug: str, page: int) -> str:
    """Offer page numbers to jump to under page `page` of the card."""
    return _paged(Prefix.PAGE_CHOOSER, slug, page)


def about_page(slug: str, page: int) -> str:
    """Show page `page` of an event's About pages (summary, dates, references) in place."""
    return _paged(Prefix.ABOUT_PAGE, slug, page)


def assessments_page(slug: str, page: int) -> str:
    """Show page `page` of an event's full assessments in place."""
    return _paged(Prefix.ASSESSMENTS_PAGE, slug, page)


def events_page(page: int) -> str:
    return _checked(f"{Prefix.EVENTS_PAGE}:{page}")


def example_question(index: int) -> str:
    return _checked(f"{Prefix.EXAMPLE}:{index}")


def none_of_these(question_id: int) -> str:
    """None of the events offered for the recorded question (0: not recorded)."""
    return _checked(f"{Prefix.NONE_OF_THESE}:{question_id}")


@dataclass(frozen=True)
class Feedback:
    choice: str  # a vote (FeedbackVote) or a reason (FeedbackReason)
    question_id: int  # 0 when the card was not the answer to a recorded question
    slug: str


class FeedbackVote(StrEnum):
    UP = "u"
    DOWN = "d"


class FeedbackReason(StrEnum):
    WRONG_EVENT = "w"
    MISSING_CLAIM = "m"
    OUTDATED = "o"
    OTHER = "x"


def feedback(vote: FeedbackVote, question_id: int, slug: str) -> str:
    return _checked(f"{Prefix.FEEDBACK}:{vote}:{question_id}:{pack_slug(slug)}")


def feedback_reason(reason: FeedbackReason, question_id: int, slug: str) -> str:
    return _checked(f"{Prefix.FEEDBACK_REASON}:{reason}:{question_id}:{pack_slug(slug)}")


def parse_feedback(data: str | None, prefix: Prefix) -> Feedback | None:
    """The vote (`FEEDBACK`) or reason (`FEEDBACK_REASON`), question and event a button names."""
    split = _split(data)
    if split is None or split[0] != prefix:
        return None
    parts = split[1].split(":", 2)
    choices = FeedbackVote if prefix == Prefix.FEEDBACK else FeedbackReason
    if len(parts) != 3 or parts[0] not in {str(c) for c in choices}:
        return None
    question_id, slug = _number(parts[1]), unpack_slug(parts[2])
    if question_id is None or slug is None:
        return None
    return Feedback(parts[0], question_id, slug)


def choose_language(language: Language) -> str:
    return _checked(f"{Prefix.LANGUAGE}:{language}")


def parse_language(data: str | None) -> Language | None:
    """The language a `LANGUAGE` button chooses."""
    split = _split(data)
    if split is None or split[0] != Prefix.LANGUAGE or not is_language(split[1]):
        return None
    return split[1]


def parse_slug(data: str | None, prefix: Prefix) -> str | None:
    """The event a `SHOW_EVENT`, `OPEN_EVENT`, `FOLLOW` or `UNFOLLOW` button names."""
    split = _split(data)
    if split is None or split[0] != prefix or not split[1]:
        return None
    return split[1]


@dataclass(frozen=True)
class CardPage:
    slug: str
    page: int  # from 0


def parse_card_page(data: str | None, prefix: Prefix = Prefix.CARD_PAGE) -> CardPage | None:
    """The event and page a `CARD_PAGE`, `PAGE_CHOOSER`, `ABOUT_PAGE` or `ASSESSMENTS_PAGE`
    button names."""
    split = _split(data)
    if split is None or split[0] != prefix:
        return None
    digits, packed = split[1].split(":", 1)
    page, slug = _number(digits), unpack_slug(packed)
    return CardPage(slug, page) if slug and page is not None else None


def parse_number(data: str | None, prefix: Prefix) -> int | None:
    """The page, question, pending change, inbox item or period that an `EVENTS_PAGE`,
    `EXAMPLE`, `NONE_OF_THESE`, `SAVE`, `CANCEL`, `INBOX_PAGE`, `INBOX_ITEM` or `STATS`
    button names."""
    split = _split(data)
    if split is None or split[0] != prefix:
        return None
    return _number(split[1])


# ---------------------------------------------------------------- moderator buttons

SKIP = "-"  # the form answer of a Skip or Clear button


def form_answer(step: int, value: str | None) -> str:
    """A choice in a guided form, at the form's step; None is the Skip (or Clear) button."""
    return _checked(f"{Prefix.FORM_ANSWER}:{step}:{SKIP if value is None else value}")


def form_back(step: int) -> str:
    return _checked(f"{Prefix.FORM_BACK}:{step}")


@dataclass(frozen=True)
class FormAnswer:
    step: int
    value: str | None  # None: skipped


def parse_form_answer(data: str | None) -> FormAnswer | None:
    split = _split(data)
    if split is None or split[0] != Prefix.FORM_ANSWER or ":" not in split[1]:
        return None
    step, value = split[1].split(":", 1)
    number = _number(step)
    if number is None or not value:
        return None
    return FormAnswer(number, None if value == SKIP else value)


def save_pending(pending_id: int) -> str:
    return _checked(f"{Prefix.SAVE}:{pending_id}")


def cancel_pending(pending_id: int) -> str:
    return _checked(f"{Prefix.CANCEL}:{pending_id}")


@dataclass(frozen=True)
class HistoryButton:
    entity: str | None  # "event" or "claim"; None for the history of everything
    entity_id: int | None
    page: int


_ENTITY_LETTERS = {"a": None, "c": "claim", "e": "event"}


def history_page(entity: str | None, entity_id: int | None, page: int) -> str:
    letter = (entity or "all")[0]
    return _checked(f"{Prefix.HISTORY_PAGE}:{letter}:{entity_id or 0}:{page}")


def parse_history_page(data: str | None) -> HistoryButton | None:
    split = _split(data)
    if split is None or split[0] != Prefix.HISTORY_PAGE:
        return None
    parts = split[1].split(":")
    if len(parts) != 3 or parts[0] not in _ENTITY_LETTERS:
        return None
    entity_id, page = _number(parts[1]), _number(parts[2])
    if entity_id is None or not page:
        return None
    return HistoryButton(_ENTITY_LETTERS[parts[0]], entity_id or None, page)


def inbox_page(page: int) -> str:
    return _checked(f"{Prefix.INBOX_PAGE}:{page}")


def inbox_item(item_id: int) -> str:
    return _checked(f"{Prefix.INBOX_ITEM}:{item_id}")


class InboxAction(StrEnum):
    CHOOSE_EVENT = "a"  # offer events to answer the item with
    PREVIEW = "e"  # preview answering it with the event in the argument
    ANSWER = "y"  # answer it with that event
    ANSWER_WITH_ALIAS = "w"  # ... and add the question's key words as the event's alias
    NEW_EVENT = "n"  # start /addevent with the question shown
    CHOOSE_REASON = "d"  # offer reasons to dismiss it
    DISMISS = "r"  # dismiss it with the reason in the argument
    SPAM = "s"


@dataclass(frozen=True)
class InboxButton:
    action: InboxAction
    item_id: int
    argument: int


def inbox_action(action: InboxAction, item_id: int, argument: int = 0) -> str:
    return _checked(f"{Prefix.INBOX_ACTION}:{action}:{item_id}:{argument}")


def parse_inbox_action(data: str | None) -> InboxButton | None:
    split = _split(data)
    if split is None or split[0] != Prefix.INBOX_ACTION:
        return None
    parts = split[1].split(":")
    if len(parts) != 3 or parts[0] not in {str(a) for a in InboxAction}:
        return None
    item_id, argument = _number(parts[1]), _number(parts[2])
    if item_id is None or argument is None:
        return None
    return InboxButton(InboxAction(parts[0]), item_id, argument)


def stats(days: int) -> str:
    return _checked(f"{Prefix.STATS}:{days}")
