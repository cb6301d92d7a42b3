"""How a moderator command is described: its fields, which are required, and a correct example.

A `CommandSpec` serves the one-line commands (binding `key=value` arguments), the guided
forms (which field to ask for next, with buttons for fixed choices), the command menus
and the error messages, and turns what a moderator typed into the command's own frozen
`Arguments` dataclass. The fields several commands share are defined here too.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from enum import Enum, StrEnum
from typing import Any, Generic, TypeVar

from bot.moderation.arguments import (
    Arguments,
    choice_word,
    parse_choice,
    parse_date,
    parse_language,
    parse_positive_int,
    parse_slug,
    parse_text,
    parse_url,
    parse_urls,
    split_arguments,
)
from bot.moderation.errors import ModerationError
from db.vocabulary import (
    Role,
)


class Kind(Enum):
    TEXT = "text"
    SLUG = "slug"
    DATE = "date"
    URL = "url"
    URLS = "urls"
    CHOICE = "choice"
    FIGURE = "figure"  # read together with the qualifier, by the service
    LANGUAGE = "language"
    NUMBER = "number"
    # References, looked up in the database by the service:
    EVENT = "event"
    CLAIM = "claim"
    SOURCE = "source"  # an existing source
    PUBLISHER = "publisher"  # a source, added as a news outlet if it is new
    TARGET = "target"  # a claim (#ID or key) or an event (slug)


REFERENCE_KINDS = frozenset({Kind.EVENT, Kind.CLAIM, Kind.SOURCE, Kind.TARGET})


@dataclass(frozen=True, kw_only=True)
class CommandArguments:
    """A command's typed arguments; each command subclasses it with one attribute per field."""

    # The keys the moderator gave: in an edit, a given key whose value is None clears it.
    given: frozenset[str] = frozenset()


A = TypeVar("A", bound=CommandArguments)


@dataclass(frozen=True)
class Field:
    key: str
    kind: Kind
    prompt: str
    required: bool = False
    max_length: int = 200
    choices: type[StrEnum] | None = None
    # Guided forms skip fields that are filled in for the moderator (keys, versions) ...
    in_form: bool = True
    # ... and a field that neither applies nor is needed when another has a given value.
    unless: tuple[str, str] | None = None

    def waived(self, values: Mapping[str, str]) -> bool:
        """Whether the other field's value makes this one not apply."""
        if self.unless is None:
            return False
        key, value = self.unless
        return choice_word(values.get(key, "")) == value

    def wanted(self) -> str:
        """How a missing required field is named: `figure (or qualifier=no_figure)`."""
        return f"{self.key} (or {'='.join(self.unless)})" if self.unless else self.key

    def parse(self, raw: str) -> Any:
        """The typed value; references and figures stay text for the service."""
        match self.kind:
            case Kind.SLUG:
                return parse_slug(self.key, raw)
            case Kind.DATE:
                return parse_date(self.key, raw)
            case Kind.URL:
                return parse_url(self.key, raw)
            case Kind.URLS:
                return parse_urls(self.key, raw)
            case Kind.CHOICE:
                assert self.choices is not None
                return parse_choice(self.key, raw, self.choices)
            case Kind.LANGUAGE:
                return parse_language(self.key, raw)
            case Kind.NUMBER:
                return parse_positive_int(self.key, raw)
            case _:
                return parse_text(self.key, raw, self.max_length)


@dataclass(frozen=True)
class CommandSpec(Generic[A]):
    name: str
    description: str  # the command menu line
    example: str
    arguments: type[A]
    fields: tuple[Field, ...] = ()
    positional: tuple[str, ...] = ()
    role: Role = Role.MODERATOR
    # Edit commands ask which field to change instead of asking for every field in turn.
    edits: bool = False
    # Commands that change data run through ModerationService.execute (and may be undone).
    changes_data: bool = True
    # Commands that ask "are you sure?" with a button even in their one-line form.
    confirms: bool = False
    # Commands whose changes the event's followers are told of; they also take silent=yes.
    notifies: bool = False
    by_key: Mapping[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        extra = (SILENT,) if self.notifies else ()
        object.__setattr__(self, "by_key", {f.key: f for f in (*self.fields, *extra)})
        attributes = {f.name for f in fields(self.arguments)} - {"given"}
        if attributes != set(self.by_key) - {SILENT.key}:
            raise TypeError(f"/{self.name}: {self.arguments.__name__} does not match its fields")

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields if f.required)

    def bind(self, text: str) -> dict[str, str]:
        """One-line arguments as raw values by key; unknown or repeated keys are refused."""
        try:
            return self._bind(split_arguments(text))
        except ModerationError as error:
            raise error.with_example(self.example) from None

    def _bind(self, arguments: Arguments) -> dict[str, str]:
        if arguments.stray:
            after = arguments.stray[0][0]
            words = " ".join(value for _, value in arguments.stray)
            raise ModerationError(
                f"unexpected {words[:80]!r} after {after}=: put a value with spaces in quotes, "
                f'e.g. {after}="...", and plain values before the key=value ones.'
            )
        if len(arguments.positional) > len(self.positional):
            extra = " ".join(arguments.positional[len(self.positional) :])
            takes = " ".join(k.upper() for k in self.positional) or "only key=value arguments"
            raise ModerationError(f"unexpected {extra[:80]!r}: /{self.name} takes {takes}.")
        values = dict(zip(self.positional, arguments.positional, strict=False))
        for key, value in arguments.named:
            if key not in self.by_key:
                allowed = ", ".join(f.key for f in self.fields)
                raise ModerationError(f"/{self.name} has no {key}=; it takes: {allowed}.")
            if key in values:
                raise ModerationError(f"{key} is given twice.")
            values[key] = value
        return values

    def parse(self, values: Mapping[str, str]) -> dict[str, Any]:
        """Every value typed, required ones present; empty optional values mean 'clear it'."""
        typed: dict[str, Any] = {}
        try:
            for key, raw in values.items():
                spec = self.by_key.get(key)
                if spec is None:
                    raise ModerationError(f"/{self.name} has no {key}=.")
                typed[key] = None if not raw.strip() and not spec.required else spec.parse(raw)
            missing = [
                self.by_key[key].wanted()
                for key in self.required
                if key not in typed and not self.by_key[key].waived(values)
            ]
            if missing:
                raise ModerationError(f"/{self.name} needs {', '.join(missing)}.")
        except ModerationError as error:
            raise error.with_example(self.example) from None
        return typed

    def typed(self, values: Mapping[str, str]) -> A:
        """What a moderator typed (raw values by key) as this command's arguments."""
        typed = self.parse(values)
        typed.pop(SILENT.key, None)  # how the change is told, not part of it: see `silent`
        return self.arguments(**typed, given=frozenset(values) - {SILENT.key})

    def silent(self, values: Mapping[str, str]) -> bool:
        """Whether the moderator asked (silent=yes) that followers not be told."""
        return self.notifies and self.parse(values).get(SILENT.key) == YesNo.YES


def field_spec(
    key: str,
    kind: Kind,
    prompt: str,
    *,
    required: bool = False,
    max_length: int = 200,
    choices: type[StrEnum] | None = None,
    in_form: bool = True,
    unless: tuple[str, str] | None = None,
) -> Field:
    return Field(key, kind, prompt, required, max_length, choices, in_form, unless)


def optional(fields: tuple[Field, ...]) -> tuple[Field, ...]:
    """The same fields for an edit command, where each one may be left out."""
    return tuple(replace(f, required=False) for f in fields)


class YesNo(StrEnum):
    YES = "yes"
    NO = "no"


SILENT = field_spec(
    "silent",
    Kind.CHOICE,
    "Tell the event's followers? silent=yes for a typo fix they need not hear of.",
    choices=YesNo,
    in_form=False,
)
VERSION = field_spec(
    "version", Kind.NUMBER, "Which version did you check?", in_form=False
)  # refused when the record has changed since; forms fill it in
EVENT = field_spec(
    "event",
    Kind.EVENT,
    "Which event? Choose a recent one below, or send its slug or words of its title.",
    required=True,
)
CLAIM = field_spec("claim", Kind.CLAIM, "Which claim? Send its number, e.g. #12.", required=True)
TARGET = field_spec("target", Kind.TARGET, "Which claim (#12) or event (its slug)?", required=True)
