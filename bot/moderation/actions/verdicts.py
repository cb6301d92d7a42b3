"""Commands on a claim's standing: replaced by a newer claim, retracted, its verification
status with reason and evidence, and hidden from users or shown again."""

from dataclasses import dataclass

from bot.moderation.lookup import label, nearest
from bot.moderation.spec import (
    CLAIM,
    TARGET,
    VERSION,
    CommandArguments,
    CommandSpec,
    Kind,
    field_spec,
)
from bot.moderation.work import Work, data_command
from db.limits import RATIONALE_MAX
from db.models import Assessment, Claim, Event, utcnow
from db.vocabulary import (
    STATUSES_NEEDING_EVIDENCE,
    STATUSES_NEEDING_REASON,
    Lifecycle,
    Role,
    VerificationStatus,
)


@dataclass(frozen=True)
class Supersede(CommandArguments):
    old: str
    new: str


@data_command(
    CommandSpec(
        "supersede",
        "Mark a claim as replaced by a newer one",
        "/supersede 12 13",
        Supersede,
        (
            field_spec("old", Kind.CLAIM, "Which claim was replaced (#12)?", required=True),
            field_spec("new", Kind.CLAIM, "Which claim replaces it (#13)?", required=True),
        ),
        positional=("old", "new"),
        notifies=True,
    )
)
def supersede(w: Work, a: Supersede) -> str:
    old, new = w.claim(a.old, "old"), w.claim(a.new, "new")
    if old.id == new.id:
        w.fail("a claim cannot replace itself.", "new")
    if old.event_id != new.event_id:
        w.fail(
            f"#{old.id} is about {old.event.slug} but #{new.id} is about {new.event.slug}; "
            "only claims about one event can replace each other.",
            "new",
        )
    if new.supersedes_id not in (None, old.id):
        w.fail(f"#{new.id} already replaces #{new.supersedes_id}.", "new")
    if old.supersedes_id == new.id:
        w.fail(f"#{old.id} already replaces #{new.id}; the other way round is a loop.", "new")
    before_old, before_new = w.snapshot(old), w.snapshot(new)
    old.lifecycle = Lifecycle.SUPERSEDED
    new.supersedes = old
    # Either claim may already be as asked; together they must change something.
    w.save("supersede", old, before_old, optional=True)
    w.save("supersede", new, before_new, optional=bool(w.changes))
    return f"Claim #{old.id} is now superseded by #{new.id}."


@dataclass(frozen=True)
class Retract(CommandArguments):
    claim: str
    version: int | None = None


@data_command(
    CommandSpec(
        "retract",
        "Mark a claim as retracted",
        "/retract 12",
        Retract,
        (CLAIM, VERSION),
        positional=("claim",),
        notifies=True,
    )
)
def retract(w: Work, a: Retract) -> str:
    claim = w.claim(a.claim)
    w.check_version(claim, a.version)
    if claim.lifecycle == Lifecycle.RETRACTED:
        w.fail(f"claim #{claim.id} is already retracted.")
    before = w.snapshot(claim)
    claim.lifecycle = Lifecycle.RETRACTED
    w.save("retract", claim, before)
    return f"Claim #{claim.id} is now marked retracted."


@dataclass(frozen=True)
class Status(CommandArguments):
    claim: str
    status: VerificationStatus
    reason: str | None = None
    evidence: tuple[str, ...] | None = None
    report: str | None = None
    version: int | None = None


@data_command(
    CommandSpec(
        "status",
        "Set a claim's verification status",
        '/status 12 disputed reason="Contradicted by the city council." '
        "evidence=https://example.org/b",
        Status,
        (
            CLAIM,
            field_spec(
                "status", Kind.CHOICE, "Which status?", required=True, choices=VerificationStatus
            ),
            field_spec(
                "reason", Kind.TEXT, "Why? Users will see this reason.", max_length=RATIONALE_MAX
            ),
            field_spec("evidence", Kind.URLS, "Evidence: one or more addresses (http/https)?"),
            field_spec(
                "report",
                Kind.TEXT,
                "Or the outlet whose report of this claim is the evidence (its name)?",
            ),
            VERSION,
        ),
        positional=("claim", "status"),
        notifies=True,
    )
)
def status(w: Work, a: Status) -> str:
    claim = w.claim(a.claim)
    w.check_version(claim, a.version)
    if a.status in STATUSES_NEEDING_REASON and not a.reason:
        w.fail(f'{a.status.value} needs a reason: say why, e.g. reason="...".', "reason")
    evidence = list(a.evidence or ())
    if a.report is not None:
        evidence.append(_report_address(w, claim, a.report))
    if a.status in STATUSES_NEEDING_EVIDENCE and not evidence:
        w.fail(
            f"{a.status.value} needs evidence: give evidence= (an address) or report= (the "
            "outlet whose report of this claim shows it).",
            "evidence",
        )
    before = w.snapshot(claim)
    claim.assessments.append(
        Assessment(
            status=a.status,
            rationale=a.reason,
            evidence=evidence,
            set_by=w.actor,
            set_at=utcnow(),
        )
    )
    claim.status = a.status
    w.save("status", claim, before)
    return f"Claim #{claim.id} is now {a.status.value}."


def _report_address(w: Work, claim: Claim, outlet: str) -> str:
    """The address of this claim's report by the named outlet, cited as evidence."""
    named = [
        seen
        for seen in claim.appearances
        if seen.publisher is not None and seen.publisher.name.casefold() == outlet.casefold()
    ]
    if not named:
        outlets = [seen.publisher.name for seen in claim.appearances if seen.publisher]
        w.fail(
            f"claim #{claim.id} has no report by {outlet!r}.", "report", nearest(outlet, outlets)
        )
    address = next((seen.url for seen in named if seen.url), None)
    if address is None:
        w.fail(
            f"the report by {outlet!r} has no address to cite; give evidence= with one.",
            "report",
        )
    return address


@dataclass(frozen=True)
class Hide(CommandArguments):
    target: str
    version: int | None = None


def _set_hidden(w: Work, a: Hide, hidden: bool) -> Event | Claim:
    row = w.target(a.target)
    w.check_version(row, a.version)
    if row.hidden == hidden:
        w.fail(f"{label(row)} is already {'hidden' if hidden else 'shown'}.")
    before = w.snapshot(row)
    row.hidden = hidden
    w.save("delete" if hidden else "restore", row, before)
    w.touched.add(row.slug if isinstance(row, Event) else row.event.slug)
    return row


@data_command(
    CommandSpec(
        "delete",
        "Hide a claim or event from users",
        "/delete 12",
        Hide,
        (TARGET, VERSION),
        positional=("target",),
        confirms=True,
        notifies=True,
    )
)
def delete(w: Work, a: Hide) -> str:
    row = _set_hidden(w, a, hidden=True)
    return f"Hid {label(row)} from users; an admin can bring it back with /restore."


@data_command(
    CommandSpec(
        "restore",
        "Show a hidden claim or event again",
        "/restore 12",
        Hide,
        (TARGET, VERSION),
        positional=("target",),
        role=Role.ADMIN,
        notifies=True,
    )
)
def restore(w: Work, a: Hide) -> str:
    return f"Users can see {label(_set_hidden(w, a, hidden=False))} again."
