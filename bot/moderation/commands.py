"""What each moderator command takes: its fields, which are required, and a correct example.

One table serves the one-line commands (binding `key=value` arguments), the guided
forms (which field to ask for next, with buttons for fixed choices), the command
menus and the error messages.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum, StrEnum
from typing import Any

from bot.moderation.arguments import (
    Arguments,
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
    AliasKind,
    Basis,
    DatePrecision,
    Metric,
    Qualifier,
    Relation,
    Role,
    Side,
    SourceKind,
    VerificationStatus,
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


class ExportFormat(StrEnum):
    YAML = "yaml"
    JSON = "json"


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
    # ... and fields that only make sense once another one has a value.
    needs: str | None = None

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
class CommandSpec:
    name: str
    description: str  # the command menu line
    example: str
    fields: tuple[Field, ...] = ()
    positional: tuple[str, ...] = ()
    role: Role = Role.MODERATOR
    # Edit commands ask which field to change instead of asking for every field in turn.
    edits: bool = False
    # Commands that change data run through ModerationService.execute (and may be undone).
    changes_data: bool = True
    # Commands that ask "are you sure?" with a button even in their one-line form.
    confirms: bool = False
    by_key: Mapping[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_key", {f.key: f for f in self.fields})

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
            missing = [key for key in self.required if key not in typed]
            if missing:
                raise ModerationError(f"/{self.name} needs {', '.join(missing)}.")
        except ModerationError as error:
            raise error.with_example(self.example) from None
        return typed


def _f(
    key: str,
    kind: Kind,
    prompt: str,
    *,
    required: bool = False,
    max_length: int = 200,
    choices: type[StrEnum] | None = None,
    in_form: bool = True,
    needs: str | None = None,
) -> Field:
    return Field(key, kind, prompt, required, max_length, choices, in_form, needs)


def _optional(fields: tuple[Field, ...]) -> tuple[Field, ...]:
    """The same fields for an edit command, where each one may be left out."""
    return tuple(replace(f, required=False) for f in fields)


VERSION = _f(
    "version", Kind.NUMBER, "Which version did you check?", in_form=False
)  # refused when the record has changed since; forms fill it in
EVENT = _f("event", Kind.EVENT, "Which event? Send its slug, e.g. test-strike.", required=True)
CLAIM = _f("claim", Kind.CLAIM, "Which claim? Send its number, e.g. #12.", required=True)
TARGET = _f("target", Kind.TARGET, "Which claim (#12) or event (its slug)?", required=True)

_EVENT_FIELDS = (
    _f("title", Kind.TEXT, "The event's title, e.g. Strike on Testville?", required=True),
    _f("date", Kind.DATE, "When did it happen (YYYY-MM-DD)?"),
    _f("place", Kind.TEXT, "Where did it happen (town or area)?", required=True),
    _f("summary", Kind.TEXT, "A neutral summary of what happened?", required=True, max_length=5000),
    _f("end", Kind.DATE, "The last day, for an event over several days (YYYY-MM-DD)?"),
    _f("precision", Kind.CHOICE, "How precise is the date?", choices=DatePrecision),
    _f("region", Kind.TEXT, "Region (oblast)?"),
    _f("country", Kind.TEXT, "Country?"),
    _f("date_note", Kind.TEXT, "A note on dates that reports disagree on?", max_length=500),
)
_SOURCE_FIELDS = (
    _f("kind", Kind.CHOICE, "What kind of source is it?", required=True, choices=SourceKind),
    _f("side", Kind.CHOICE, "Which side is it on?", required=True, choices=Side),
    _f("country", Kind.TEXT, "Country?"),
    _f("description", Kind.TEXT, "A short description?", max_length=500),
)
_CLAIM_FIELDS = (
    _f("claimant", Kind.SOURCE, "Who made the claim? Send the source's name.", required=True),
    _f("metric", Kind.CHOICE, "What does the claim count?", required=True, choices=Metric),
    _f("figure", Kind.FIGURE, "The figure in the claimant's words, e.g. about 400?"),
    _f(
        "qualifier",
        Kind.CHOICE,
        "How was the figure stated? Skip to read it from the words.",
        choices=Qualifier,
        needs="figure",
    ),
    _f("subject", Kind.TEXT, "About whom, e.g. Russian servicemen?", max_length=500),
    _f("quote", Kind.TEXT, "The claim, quoted word for word?", required=True, max_length=5000),
    _f("date", Kind.DATE, "When was it stated (YYYY-MM-DD)?"),
    _f("basis", Kind.CHOICE, "What is the claim based on?", choices=Basis),
    _f("summary", Kind.TEXT, "A one-line summary? Skip to use the quote.", max_length=500),
)
_APPEARANCE_FIELDS = (
    _f("publisher", Kind.PUBLISHER, "Who reported it? Send the outlet's name."),
    _f("url", Kind.URL, "The report's address (http:// or https://)?"),
)

_SPECS = (
    CommandSpec(
        "addevent",
        "Add an event",
        '/addevent slug=test-strike title="Strike on Testville" date=2023-01-10 '
        'place="Testville" summary="A strike hit Testville."',
        (
            _f("slug", Kind.SLUG, "A short slug for the event, e.g. test-strike?", required=True),
            *_EVENT_FIELDS,
        ),
        positional=("slug",),
    ),
    CommandSpec(
        "editevent",
        "Correct an event",
        '/editevent test-strike title="Strike on Testville station"',
        (EVENT, *_optional(_EVENT_FIELDS), _f("slug", Kind.SLUG, "The new slug?"), VERSION),
        positional=("event",),
        edits=True,
    ),
    CommandSpec(
        "alias",
        "Add another name for an event",
        '/alias test-strike "Тествіль" lang=uk',
        (
            EVENT,
            _f("text", Kind.TEXT, "The other name for the event?", required=True),
            _f("lang", Kind.LANGUAGE, "Its language code (uk, ru, en, ...)?"),
            _f("kind", Kind.CHOICE, "What kind of name is it?", choices=AliasKind),
            VERSION,
        ),
        positional=("event", "text"),
    ),
    CommandSpec(
        "unalias",
        "Remove a name of an event",
        '/unalias test-strike "Тествіль"',
        (EVENT, _f("text", Kind.TEXT, "Which name to remove?", required=True), VERSION),
        positional=("event", "text"),
    ),
    CommandSpec(
        "link",
        "Link two related events",
        "/link test-strike makiivka-strike relation=presented_as_retaliation_for",
        (
            EVENT,
            _f("other", Kind.EVENT, "Related to which event (slug)?", required=True),
            _f("relation", Kind.CHOICE, "How is it related?", required=True, choices=Relation),
            _f("note", Kind.TEXT, "A note, e.g. who presented it so?", max_length=500),
            VERSION,
        ),
        positional=("event", "other"),
    ),
    CommandSpec(
        "unlink",
        "Remove a link between events",
        "/unlink test-strike makiivka-strike",
        (EVENT, _f("other", Kind.EVENT, "Unlink from which event (slug)?", required=True), VERSION),
        positional=("event", "other"),
    ),
    CommandSpec(
        "addsource",
        "Add a claimant or publisher",
        '/addsource name="Testville city council" kind=official side=ukraine',
        (_f("name", Kind.TEXT, "The source's name?", required=True), *_SOURCE_FIELDS),
        positional=("name",),
    ),
    CommandSpec(
        "editsource",
        "Correct a source",
        '/editsource "Testville city council" side=ukraine',
        (
            _f("source", Kind.SOURCE, "Which source? Send its name.", required=True),
            _f("name", Kind.TEXT, "The new name?"),
            *_optional(_SOURCE_FIELDS),
            VERSION,
        ),
        positional=("source",),
        edits=True,
    ),
    CommandSpec(
        "addclaim",
        "Add a claim",
        '/addclaim event=test-strike claimant="Testville city council" metric=killed '
        'figure="about 12" quote="About 12 people were killed." date=2023-01-10 '
        'publisher="Example News" url=https://example.org/a',
        (
            EVENT,
            *_CLAIM_FIELDS,
            *_APPEARANCE_FIELDS,
            _f("key", Kind.SLUG, "A key for the claim?", in_form=False),
        ),
    ),
    CommandSpec(
        "editclaim",
        "Correct a claim",
        '/editclaim 12 figure="about 15"',
        (
            CLAIM,
            replace(EVENT, required=False, prompt="Move it to which event (slug)?"),
            *_optional(_CLAIM_FIELDS),
            VERSION,
        ),
        positional=("claim",),
        edits=True,
    ),
    CommandSpec(
        "report",
        "Record where a claim was reported",
        '/report 12 publisher="Example News" url=https://example.org/a '
        'wording="about a dozen were killed"',
        (
            CLAIM,
            *_APPEARANCE_FIELDS,
            _f("wording", Kind.TEXT, "The report's own wording?", max_length=5000),
            _f("date", Kind.DATE, "Published on (YYYY-MM-DD)?"),
            _f("title", Kind.TEXT, "The report's headline?", max_length=500),
            _f("via", Kind.PUBLISHER, "The outlet it credits, e.g. TASS?"),
            _f("document", Kind.TEXT, "A document reference, if there is no URL?", max_length=500),
            VERSION,
        ),
        positional=("claim",),
    ),
    CommandSpec(
        "supersede",
        "Mark a claim as replaced by a newer one",
        "/supersede 12 13",
        (
            _f("old", Kind.CLAIM, "Which claim was replaced (#12)?", required=True),
            _f("new", Kind.CLAIM, "Which claim replaces it (#13)?", required=True),
        ),
        positional=("old", "new"),
    ),
    CommandSpec(
        "retract",
        "Mark a claim as retracted",
        "/retract 12",
        (CLAIM, VERSION),
        positional=("claim",),
    ),
    CommandSpec(
        "status",
        "Set a claim's verification status",
        '/status 12 disputed reason="Contradicted by the city council." '
        "evidence=https://example.org/b",
        (
            CLAIM,
            _f("status", Kind.CHOICE, "Which status?", required=True, choices=VerificationStatus),
            _f("reason", Kind.TEXT, "Why? Users will see this reason.", max_length=5000),
            _f("evidence", Kind.URLS, "Evidence: one or more addresses (http/https)?"),
            VERSION,
        ),
        positional=("claim", "status"),
    ),
    CommandSpec(
        "delete",
        "Hide a claim or event from users",
        "/delete 12",
        (TARGET, VERSION),
        positional=("target",),
        confirms=True,
    ),
    CommandSpec(
        "restore",
        "Show a hidden claim or event again",
        "/restore 12",
        (TARGET, VERSION),
        positional=("target",),
        role=Role.ADMIN,
    ),
    CommandSpec("undo", "Revert your last change", "/undo", changes_data=False),
    CommandSpec(
        "history",
        "Changes to a claim or event",
        "/history 12",
        (replace(TARGET, required=False), _f("page", Kind.NUMBER, "Which page?")),
        positional=("target",),
        changes_data=False,
    ),
    CommandSpec(
        "import",
        "Import a data set (reply to a file)",
        "reply /import to a .yaml or .json file from /export",
        changes_data=False,
    ),
    CommandSpec(
        "export",
        "Download the data set",
        "/export format=json",
        (_f("format", Kind.CHOICE, "Which format?", choices=ExportFormat),),
        changes_data=False,
    ),
    CommandSpec(
        "grant",
        "Make a user a moderator",
        "/grant 123456789 (or reply /grant to one of their messages)",
        (_f("user", Kind.NUMBER, "Their Telegram user id?", required=True),),
        positional=("user",),
        role=Role.ADMIN,
        changes_data=False,
    ),
    CommandSpec(
        "revoke",
        "Remove a moderator",
        "/revoke 123456789",
        (_f("user", Kind.NUMBER, "Their Telegram user id?", required=True),),
        positional=("user",),
        role=Role.ADMIN,
        changes_data=False,
    ),
    CommandSpec(
        "moderators", "List the moderators", "/moderators", role=Role.ADMIN, changes_data=False
    ),
)

COMMANDS: dict[str, CommandSpec] = {spec.name: spec for spec in _SPECS}
