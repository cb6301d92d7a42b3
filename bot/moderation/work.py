"""One moderator command's unit of work: its checks, its writes and their audit entries.

`Work` is one command inside one transaction. A command's function checks what it was
given against the database, changes rows, and `save`s each one, which records it in the
audit log with the actor, its record before and after and the command's batch id.
`data_command` registers such a function together with its `CommandSpec`.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Generic

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.moderation.errors import ModerationError
from bot.moderation.lookup import Lookup, Row, entity_of, history_ref, label, name_of, nearest
from bot.moderation.spec import SILENT, A, CommandArguments, CommandSpec
from db.audit import record_change
from db.models import Claim, Event, Source, utcnow
from db.outbox import ClaimChange
from db.vocabulary import Side, SourceKind


@dataclass(frozen=True)
class RowChange:
    entity: str
    entity_id: int | None
    name: str  # the natural key: slug, claim key or source name
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def dump(record: BaseModel | None) -> dict[str, Any] | None:
    return record.model_dump(mode="json") if record is not None else None


def _invalid(error: ValidationError) -> ModerationError:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return ModerationError(f"{where}: {message}." if where else f"{message}.")


class Work(Lookup):
    """One command in one transaction: lookups, checks, writes and their audit entries."""

    def __init__(self, session: Session, actor: str, spec: CommandSpec[Any], batch: str) -> None:
        super().__init__(session)
        self.actor, self.spec, self.batch = actor, spec, batch
        self.changes: list[RowChange] = []
        # An import's changes to followed events' claims (its rows are not `changes`).
        self.imported: list[ClaimChange] = []
        self.touched: set[str] = set()  # event slugs whose match-index entry may change
        self.notes: list[str] = []
        self.pins: dict[str, str] = {}

    def publisher(self, name: str, key: str) -> Source:
        """An outlet that reported a claim: known, or added now as a news outlet."""
        found = self.find_source(name)
        if found is not None:
            return found
        # A near-identical name is far more likely a typo than a new outlet.
        near = nearest(name, self.session.scalars(select(Source.name)), cutoff=88)
        if near:
            self.fail(f"there is no source {name!r}.", key, near)
        source = Source(name=name, kind=SourceKind.NEWS_OUTLET, side=Side.UNKNOWN)
        self.save("addsource", source, None)
        self.notes.append(
            f"Added {name!r} as a new source (news outlet, side unknown); "
            "correct it with /editsource if needed."
        )
        return source

    # -------------------------------------------------------- checks and writes

    def check_version(self, row: Row, expected: int | None) -> None:
        """Refuse a change made against an older version; pin the version a preview saw."""
        if expected is not None and expected != row.version:
            self.fail(
                f"{label(row)} has changed since version {expected} (it is now version "
                f"{row.version}), so nothing was written. Look at it again "
                f"(/history {history_ref(row)}) and repeat your change.",
                "version",
            )
        if "version" in self.spec.by_key and not self.pins:
            self.pins["version"] = str(row.version)

    def snapshot(self, row: Row) -> BaseModel:
        # Imported here: the data-set records cost every start of the bot about a tenth of a
        # second, and only a moderator's change needs them.
        from db.import_export import claim_record, event_record, source_record

        try:
            if isinstance(row, Event):
                return event_record(row)
            if isinstance(row, Claim):
                return claim_record(row)
            return source_record(row)
        except ValidationError as error:
            raise _invalid(error) from None

    def save(
        self, action: str, row: Row, before: BaseModel | None, *, optional: bool = False
    ) -> None:
        """Write the row and audit it; a change that changes nothing is refused (or skipped)."""
        after = self.snapshot(row)
        if before is not None and after == before:
            if optional:
                return
            self.fail(f"this changes nothing: {label(row)} already has these values.")
        if before is not None:
            # Touching the row bumps its version even when only its aliases, links or
            # appearances changed, so a stale edit of those is refused too.
            row.updated_at = utcnow()
        self.session.add(row)
        self.session.flush()
        entity = entity_of(row)
        record_change(self.session, self.actor, action, entity, row.id, before, after, self.batch)
        self.changes.append(
            RowChange(entity, row.id, name_of(row), action, dump(before), dump(after))
        )

    def edited(
        self, arguments: CommandArguments, target: str, required: Collection[str]
    ) -> dict[str, Any]:
        """The fields an edit command was given, by key; None clears an optional one."""
        changes = {
            key: getattr(arguments, key)
            for key in arguments.given
            if key not in (target, "version")
        }
        if not changes:
            editable = ", ".join(
                k for k in self.spec.by_key if k not in (target, "version", SILENT.key)
            )
            self.fail(f"nothing to change: give at least one of {editable}.")
        for key in required:
            if key in changes and changes[key] is None:
                self.fail(f"{key} cannot be empty.", key)
        return changes


@dataclass(frozen=True)
class DataCommand(Generic[A]):
    """A command that changes data: its spec and the function that does it, one unit."""

    spec: CommandSpec[A]
    function: Callable[[Work, A], str]


def data_command(spec: CommandSpec[A]) -> Callable[[Callable[[Work, A], str]], DataCommand[A]]:
    """Register the function below as what `spec`'s command does."""

    def register(function: Callable[[Work, A], str]) -> DataCommand[A]:
        return DataCommand(spec, function)

    return register
