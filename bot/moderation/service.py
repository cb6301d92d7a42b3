"""Moderators' changes to the data set: checked, attributed, audited and reversible.

Every call runs in one unit of work: a command looks everything up and checks it,
then writes (see `bot.moderation.actions`), and each row it changed is recorded in the
audit log with the actor, the record before and after (the import/export records of
`db.import_export`) and one batch id per command, so `undo` reverts a command as a whole.
Any mistake raises `ModerationError` and the transaction is rolled back, so a failed
command writes nothing. A dry run does all of this and then rolls back: a preview.

Nothing here knows about Telegram: the bot's handlers and the tests share this path.
"""

import datetime as dt
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from bot.moderation.arguments import check_text
from bot.moderation.commands import COMMANDS, DATA_COMMANDS
from bot.moderation.errors import ModerationError, NotAllowed, PendingGone
from bot.moderation.files import ExportFile, ImportPreview, check_import_file
from bot.moderation.form_store import FormStore
from bot.moderation.history import HistoryPage, HistoryTarget, history_page
from bot.moderation.lookup import Lookup, Row, entity_of, get_row, history_ref, label
from bot.moderation.pending import (
    EXPIRED,
    claim_pending,
    delete_pending,
    open_pending,
    store_pending,
)
from bot.moderation.service_commands import HISTORY, IMPORT, UNDO, ExportFormat
from bot.moderation.spec import CommandSpec, Kind
from bot.moderation.staff import ModeratorView, allowed, moderator_record, refusal
from bot.moderation.undo import DATA_ENTITIES, UNDO_PREFIX, revert
from bot.moderation.work import RowChange, Work
from bot.tipline.actions import INBOX_ACTIONS
from db.audit import is_silent, new_batch, record_change, silent_batch
from db.engine import unit_of_work
from db.follows import follower_count_of
from db.heap import import_heap
from db.models import AuditEntry, Event, Moderator, utcnow
from db.outbox import ClaimChange, record_changes
from db.progress import Progress
from db.vocabulary import Role

if TYPE_CHECKING:
    from db.dataset_schema import DataSet
    from db.import_plan import ImportBy

log = logging.getLogger(__name__)

EventsChanged = Callable[[Collection[str]], None]


def actor_name(user_id: int) -> str:
    return f"tg:{user_id}"


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class CommandResult:
    """What a command did, or (not applied) what its preview would do."""

    command: str
    message: str
    changes: tuple[RowChange, ...]
    applied: bool
    # For a preview: the arguments to run on confirmation, with the versions seen pinned.
    values: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    # Chats that follow the events it changes and will be told (0 for a silent change).
    followers: int = 0
    silent: bool = False


@dataclass(frozen=True)
class Reference:
    """A looked-up claim, event or source, as a form shows and pins it."""

    text: str
    version: int


class _Preview(Exception):
    """Carries a dry run's outcome out of its transaction, which is then rolled back."""

    def __init__(self, outcome: CommandResult) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


# ---------------------------------------------------------------- the service


class ModerationService:
    """Moderator commands on the claims database; each call is one unit of work."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        admin_ids: Collection[int],
        on_events_changed: EventsChanged | None = None,
        form_timeout: dt.timedelta = dt.timedelta(hours=1),
        follow_quiet: dt.timedelta = dt.timedelta(minutes=10),
    ) -> None:
        self._sessions = sessions
        self._follow_quiet = follow_quiet
        self._admins = frozenset(admin_ids)
        self._on_events_changed = on_events_changed
        self.forms = FormStore(sessions, form_timeout)

    # -------------------------------------------------------- permissions

    def role(self, user_id: int) -> Role | None:
        with unit_of_work(self._sessions) as session:
            return self._role(session, user_id)

    def _role(self, session: Session, user_id: int) -> Role | None:
        if user_id in self._admins:
            return Role.ADMIN
        moderator = session.get(Moderator, user_id)
        return moderator.role if moderator else None

    def _require(self, session: Session, user_id: int, needed: Role) -> None:
        if not allowed(self._role(session, user_id), needed):
            raise NotAllowed(refusal(needed))

    # -------------------------------------------------------- running commands

    def execute(
        self,
        user_id: int,
        command: str,
        values: Mapping[str, str],
        *,
        dry_run: bool = False,
        pending: int | None = None,
    ) -> CommandResult:
        """Run a data command; with `dry_run`, roll back and return what it would change."""
        action = DATA_COMMANDS[command]
        arguments = action.spec.typed(values)

        silent = action.spec.silent(values)

        def run(w: Work) -> str:
            return action.function(w, arguments)

        return self._run(
            user_id,
            action.spec,
            run,
            dry_run=dry_run,
            values=values,
            batch=silent_batch() if silent else None,
            pending=pending,
        )

    # -------------------------------------------------------- confirmations

    def preview(
        self, user_id: int, command: str, values: Mapping[str, str]
    ) -> tuple[CommandResult, int]:
        """A dry run, and the id of the pending change that confirming it will apply."""
        outcome = self.execute(user_id, command, values, dry_run=True)
        return outcome, self.remember(user_id, command, {"values": dict(outcome.values)})

    def remember_import(self, user_id: int, preview: ImportPreview) -> int:
        """Keep a checked file until its confirmation.

        The validated data set itself is stored (as JSON), not the Telegram file id: the
        handler already caps files at 20 MB, the row lives an hour at most, and so
        confirming needs no second download (which could fail, or differ by replica) and
        applies exactly the data the moderator saw previewed.
        """
        payload = {"dataset": preview.dataset.model_dump(mode="json"), "summary": preview.summary}
        return self.remember(user_id, "import", payload)

    def remember(self, user_id: int, command: str, payload: dict[str, Any]) -> int:
        """Store a pending change; also drops expired ones and this user's oldest."""
        with unit_of_work(self._sessions) as session:
            self._require(session, user_id, COMMANDS[command].role)
            return store_pending(session, user_id, command, payload)

    def confirm(
        self, user_id: int, pending_id: int, progress: Progress | None = None
    ) -> CommandResult:
        """Apply a pending change: once, by its author, before it expires.

        The change runs again in a transaction that also deletes the pending row; a second
        press, on this or any other process, finds no row and is refused.
        """
        with unit_of_work(self._sessions) as session:
            found = open_pending(session, user_id, pending_id)
        if found is None:
            raise PendingGone(EXPIRED)
        command, payload = found
        if command == "import":
            from db.dataset_schema import DataSet  # see "files" below

            with import_heap() as heap:
                dataset = DataSet.model_validate(payload["dataset"])
                heap.built()
                return self._apply_import(
                    user_id, dataset, payload["summary"], pending_id, progress
                )
        return self.execute(user_id, command, payload["values"], pending=pending_id)

    def discard(self, user_id: int, pending_id: int) -> bool:
        """Cancel a pending change of this user's; False if there was none."""
        with unit_of_work(self._sessions) as session:
            return delete_pending(session, user_id, pending_id)

    def run_action(
        self, user_id: int, spec: CommandSpec[Any], run: Callable[[Work], str]
    ) -> CommandResult:
        """Run a change made through buttons rather than a data command (an inbox action)
        as one checked, audited, undoable unit of work."""
        return self._run(user_id, spec, run)

    def _run(
        self,
        user_id: int,
        spec: CommandSpec[Any],
        run: Callable[[Work], str],
        *,
        dry_run: bool = False,
        values: Mapping[str, str] | None = None,
        batch: str | None = None,
        pending: int | None = None,
    ) -> CommandResult:
        try:
            with unit_of_work(self._sessions) as session:
                self._require(session, user_id, spec.role)
                if pending is not None:
                    claim_pending(session, user_id, pending)
                work = Work(session, actor_name(user_id), spec, batch or new_batch())
                message = run(work)
                session.flush()
                silent = is_silent(work.batch)
                changed = [
                    ClaimChange(c.before, c.after) for c in work.changes if c.entity == "claim"
                ] + work.imported
                # In the change's own transaction: saved together, or neither is.
                told = (
                    record_changes(session, changed, self._follow_quiet, silent=silent)
                    if changed
                    else 0
                )
                outcome = CommandResult(
                    spec.name,
                    message,
                    tuple(work.changes),
                    applied=not dry_run,
                    values={**(values or {}), **work.pins},
                    notes=tuple(work.notes),
                    followers=told,
                    silent=silent,
                )
                if dry_run:
                    raise _Preview(outcome)
        except _Preview as preview:
            return preview.outcome
        except (NotAllowed, PendingGone):
            raise
        except ModerationError as error:
            raise error.with_example(spec.example) from None
        except StaleDataError:
            raise ModerationError(
                "someone else changed the same record at the same moment, so nothing was "
                "written. Look at it again and repeat your change."
            ) from None
        except OperationalError:
            # SQLite refuses a write when another one has committed since this one began reading.
            log.exception("database error in /%s", spec.name)
            raise ModerationError(
                "the database could not take the change just now, so nothing was written. "
                "Please try again."
            ) from None
        except IntegrityError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else "a constraint"
            raise ModerationError(
                f"the database refused the change ({reason[:200]}), so nothing was written.",
                example=spec.example,
            ) from None
        self._refresh(work.touched)
        return outcome

    def _refresh(self, slugs: Collection[str]) -> None:
        if not slugs or self._on_events_changed is None:
            return
        try:
            self._on_events_changed(slugs)
        except Exception:
            # The change is committed; a failed re-index only delays matching until restart.
            log.exception("could not refresh the match index for %s", sorted(slugs))

    def reference(self, user_id: int, kind: Kind, ref: str, key: str) -> Reference:
        """Look up a claim, event or source a form was given, before the form goes on."""
        check_text(ref)
        with unit_of_work(self._sessions) as session:
            self._require(session, user_id, Role.MODERATOR)
            lookup = Lookup(session)
            row: Row
            if kind == Kind.EVENT:
                row = lookup.event(ref, key)
            elif kind == Kind.CLAIM:
                row = lookup.claim(ref, key)
            elif kind == Kind.SOURCE:
                row = lookup.source(ref, key)
            else:
                row = lookup.target(ref, key)
            return Reference(history_ref(row), row.version)

    def recent_events(self, user_id: int, limit: int) -> list[tuple[str, str]]:
        """The events changed most recently, as (slug, title): a form offers them as buttons."""
        with unit_of_work(self._sessions) as session:
            self._require(session, user_id, Role.MODERATOR)
            rows = session.execute(
                select(Event.slug, Event.title)
                .where(Event.hidden.is_(False))
                .order_by(Event.updated_at.desc(), Event.id.desc())
                .limit(limit)
            ).all()
            return [(slug, title) for slug, title in rows]

    # -------------------------------------------------------- undo

    def undo(self, user_id: int) -> CommandResult:
        """Revert this moderator's latest command that has not been undone yet."""
        actor = actor_name(user_id)
        with unit_of_work(self._sessions) as session:
            self._require(session, user_id, Role.MODERATOR)
            recent = session.scalars(
                select(AuditEntry)
                .where(AuditEntry.actor == actor, AuditEntry.entity.in_(DATA_ENTITIES))
                .order_by(AuditEntry.id.desc())
                .limit(1000)
            ).all()
        undone = {
            e.batch.removeprefix(UNDO_PREFIX) for e in recent if e.batch.startswith(UNDO_PREFIX)
        }
        batch = next(
            (
                e.batch
                for e in recent
                if not e.batch.startswith(UNDO_PREFIX) and e.batch not in undone
            ),
            None,
        )
        if batch is None:
            raise ModerationError("you have no change left to undo.", example="/undo")

        def run(w: Work) -> str:
            entries = w.session.scalars(
                select(AuditEntry).where(AuditEntry.batch == batch).order_by(AuditEntry.id.desc())
            ).all()
            for entry in entries:
                revert(w, entry)
            records = f"{len(entries)} record{'s' * (len(entries) > 1)}"
            action = entries[0].action
            what = f"/{action}" if action in COMMANDS else INBOX_ACTIONS.get(action, "import")
            return f"Undid your {what} ({records})."

        return self._run(user_id, UNDO, run, batch=UNDO_PREFIX + batch)

    # -------------------------------------------------------- history

    def history(self, user_id: int, ref: str | None, page: int = 1) -> HistoryPage:
        """The audit trail of a claim or an event (with its claims), or of everything."""
        with unit_of_work(self._sessions) as session:
            self._require(session, user_id, Role.MODERATOR)
            target = HistoryTarget(None, None, "all changes")
            if ref:
                try:
                    row = Lookup(session).target(ref)
                except ModerationError as error:
                    raise error.with_example(HISTORY.example) from None
                target = HistoryTarget(entity_of(row), row.id, label(row))
            return history_page(session, target, page)

    def history_of(
        self, user_id: int, entity: str | None, entity_id: int | None, page: int
    ) -> HistoryPage:
        """Another page of a history shown before (its buttons carry the row's id)."""
        with unit_of_work(self._sessions) as session:
            self._require(session, user_id, Role.MODERATOR)
            target = HistoryTarget(None, None, "all changes")
            if entity is not None:
                row = get_row(session, entity, entity_id)
                if row is None:
                    raise ModerationError(f"that {entity} no longer exists.")
                target = HistoryTarget(entity, entity_id, label(row))
            return history_page(session, target, page)

    # -------------------------------------------------------- moderators

    def grant(self, admin_id: int, user_id: int) -> ModeratorView:
        if user_id in self._admins:
            raise ModerationError(f"{user_id} is already an admin (CLAIMBOT_ADMIN_IDS).")
        with unit_of_work(self._sessions) as session:
            self._require(session, admin_id, Role.ADMIN)
            if session.get(Moderator, user_id) is not None:
                raise ModerationError(f"{user_id} is already a moderator.")
            moderator = Moderator(
                telegram_user_id=user_id,
                role=Role.MODERATOR,
                granted_by=admin_id,
                granted_at=utcnow(),
            )
            session.add(moderator)
            self._audit_grant(session, admin_id, "grant", None, moderator)
            return ModeratorView(user_id, moderator.role, admin_id, moderator.granted_at)

    def revoke(self, admin_id: int, user_id: int) -> None:
        if user_id in self._admins:
            raise ModerationError(
                f"{user_id} is an admin; admins are set by CLAIMBOT_ADMIN_IDS, not /revoke."
            )
        with unit_of_work(self._sessions) as session:
            self._require(session, admin_id, Role.ADMIN)
            moderator = session.get(Moderator, user_id)
            if moderator is None:
                raise ModerationError(
                    f"{user_id} is not a moderator; /moderators lists them.",
                    example="/revoke 123456789",
                )
            self._audit_grant(session, admin_id, "revoke", moderator, None)
            session.delete(moderator)

    def _audit_grant(
        self,
        session: Session,
        admin_id: int,
        action: str,
        before: Moderator | None,
        after: Moderator | None,
    ) -> None:
        # Telegram user ids outgrow the audit log's integer entity_id; the records carry them.
        record_change(
            session,
            actor_name(admin_id),
            action,
            "moderator",
            None,
            moderator_record(before),
            moderator_record(after),
            new_batch(),
        )

    def moderators(self, admin_id: int) -> list[ModeratorView]:
        with unit_of_work(self._sessions) as session:
            self._require(session, admin_id, Role.ADMIN)
            rows = session.scalars(select(Moderator).order_by(Moderator.granted_at)).all()
            listed = [ModeratorView(a, Role.ADMIN, None, None) for a in sorted(self._admins)]
            return listed + [
                ModeratorView(m.telegram_user_id, m.role, m.granted_by, m.granted_at)
                for m in rows
                if m.telegram_user_id not in self._admins
            ]

    def staff(self) -> list[tuple[int, Role]]:
        """Everyone whose command menu should hold moderator commands (for start-up)."""
        with unit_of_work(self._sessions) as session:
            rows = session.scalars(select(Moderator)).all()
            moderators = [
                (m.telegram_user_id, m.role) for m in rows if m.telegram_user_id not in self._admins
            ]
        return [(a, Role.ADMIN) for a in sorted(self._admins)] + moderators

    # -------------------------------------------------------- files
    # The file formats, the data-set schema and the importer are imported where a file is
    # exported or imported: loading them cost every start of the bot a third of a second.

    def export(self, user_id: int, format_: ExportFormat = ExportFormat.YAML) -> ExportFile:
        from db.file_formats import dataset_to_text
        from db.import_export import export_dataset

        with unit_of_work(self._sessions) as session:
            self._require(session, user_id, Role.MODERATOR)
            text = dataset_to_text(export_dataset(session), format_.value)
        stamp = utcnow().strftime("%Y%m%d-%H%M")
        return ExportFile(f"claimbot-{stamp}.{format_.value}", text.encode())

    def preview_import(
        self, user_id: int, data: bytes, name: str, progress: Progress | None = None
    ) -> ImportPreview:
        """Check a whole file against the database; writes nothing."""
        from db.file_formats import DataSetFileError, dataset_from_bytes
        from db.import_plan import plan_import

        check_import_file(name, len(data))
        with import_heap() as heap:
            try:
                dataset = dataset_from_bytes(data, name, progress=progress)
            except DataSetFileError as error:
                raise ModerationError(f"{name}: {error}", example=IMPORT.example) from None
            heap.built()
            with unit_of_work(self._sessions) as session:
                self._require(session, user_id, Role.MODERATOR)
                plan = plan_import(session, dataset, self._import_by(session, user_id), progress)
                return ImportPreview(
                    dataset,
                    plan.summary(),
                    bool(plan.rejected),
                    plan.has_changes,
                    follower_count_of(session, plan.told_events),
                )

    def _import_by(self, session: Session, user_id: int) -> "ImportBy":
        """The rules of the commands, for an import this user sends through the bot."""
        from db.import_plan import ImportBy

        may_hide = self._role(session, user_id) == Role.ADMIN
        return ImportBy(actor_name(user_id), may_hide, utcnow())

    def _apply_import(
        self,
        user_id: int,
        dataset: "DataSet",
        summary: str,
        pending: int,
        progress: Progress | None,
    ) -> CommandResult:
        """Apply a previewed file in one transaction, if the database still gives the same plan."""
        from db.import_plan import plan_import
        from db.import_write import apply_import

        spec = IMPORT

        def run(w: Work) -> str:
            by = self._import_by(w.session, user_id)
            plan = plan_import(w.session, dataset, by, progress)
            if plan.summary() != summary:
                w.fail(
                    "the data changed since the preview; send /import again to see what it "
                    "would do now."
                )
            if plan.rejected or not plan.has_changes:
                w.fail("this file has nothing that can be imported.")
            w.imported = apply_import(w.session, plan, w.actor, progress, by)
            w.touched.update(e.slug for e in dataset.events)
            w.touched.update(c.event for c in dataset.claims)
            return "Imported:\n" + plan.summary()

        return self._run(user_id, spec, run, pending=pending)
