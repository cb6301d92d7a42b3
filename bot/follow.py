"""What changed for followers: an event's claims as they saw them, against the claims now.

Both sides are `db.outbox` states (claim key -> what readers see of it). A change is
listed only where a reader would notice it (`db.outbox.differs`); a claim revised by a
new one is told once, as the revision ("89 killed (earlier 63)").
"""

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from db.outbox import State, differs
from db.vocabulary import Lifecycle, Metric, Qualifier, VerificationStatus


@dataclass(frozen=True)
class Seen:
    """A claim as readers saw it."""

    key: str
    claimant: str
    metric: Metric
    qualifier: Qualifier | None
    low: int | None
    high: int | None
    wording: str | None
    summary: str
    supersedes: str | None
    lifecycle: Lifecycle
    status: VerificationStatus

    @classmethod
    def of(cls, key: str, fields: Mapping[str, Any]) -> "Seen":
        qualifier = fields.get("qualifier")
        return cls(
            key=key,
            claimant=fields["claimant"],
            metric=Metric(fields["metric"]),
            qualifier=Qualifier(qualifier) if qualifier else None,
            low=fields.get("low"),
            high=fields.get("high"),
            wording=fields.get("wording"),
            summary=fields.get("summary") or "",
            supersedes=fields.get("supersedes"),
            lifecycle=Lifecycle(fields["lifecycle"]),
            status=VerificationStatus(fields["status"]),
        )


class ChangeKind(enum.StrEnum):
    NEW = "new"
    REVISED = "revised"  # a new figure replaced an earlier one
    RETRACTED = "retracted"
    SUPERSEDED = "superseded"  # marked superseded with no new claim told beside it
    RESTORED = "restored"
    WITHDRAWN = "withdrawn"  # deleted or hidden
    FIGURE = "figure"
    STATUS = "status"


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    now: Seen | None
    before: Seen | None
    replaced: Seen | None = None  # for a revision: the claim it replaced, as it was


def changes_between(before: State, now: State) -> list[Change]:
    """The changes a reader would notice, in the order of the claims now, removed last."""
    old = {k: Seen.of(k, v) for k, v in before.items()}
    new = {k: Seen.of(k, v) for k, v in now.items()}
    revised = {
        claim.supersedes: key
        for key, claim in new.items()
        if claim.supersedes in old and (key not in old or old[key].supersedes != claim.supersedes)
    }
    found: list[Change] = []
    for key, claim in new.items():
        was = old.get(key)
        if not differs(before.get(key), now[key]):
            continue
        if key in revised.values():
            assert claim.supersedes is not None
            found.append(Change(ChangeKind.REVISED, claim, was, old[claim.supersedes]))
        elif was is None:
            found.append(Change(ChangeKind.NEW, claim, None))
        elif claim.lifecycle != was.lifecycle:
            if claim.lifecycle == Lifecycle.SUPERSEDED and key in revised:
                continue  # told as the revision that replaced it
            kind = {
                Lifecycle.RETRACTED: ChangeKind.RETRACTED,
                Lifecycle.SUPERSEDED: ChangeKind.SUPERSEDED,
                Lifecycle.CURRENT: ChangeKind.RESTORED,
            }[claim.lifecycle]
            found.append(Change(kind, claim, was))
        elif (claim.qualifier, claim.low, claim.high, claim.metric, claim.claimant) != (
            was.qualifier,
            was.low,
            was.high,
            was.metric,
            was.claimant,
        ):
            found.append(Change(ChangeKind.FIGURE, claim, was))
        elif claim.status != was.status:
            found.append(Change(ChangeKind.STATUS, claim, was))
    found.extend(
        Change(ChangeKind.WITHDRAWN, None, seen) for k, seen in old.items() if k not in new
    )
    return found
