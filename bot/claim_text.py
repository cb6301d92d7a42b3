"""How one claim is told: its figure in a few words, its status with the reason, and where
it was reported. The card, the web pages and followers' notifications all tell a claim so."""

import re
from typing import Protocol

from bot.i18n import Tr
from bot.references import appearance_label
from bot.rendering import LIFECYCLE_NAMES, STATUS_MARKERS, escape, link, shorten, status_name
from db.queries import AssessmentView, ClaimView
from db.vocabulary import Lifecycle, Qualifier, VerificationStatus

MAX_APPEARANCES_SHOWN = 4
FIGURE_CHARS = 40
REASON_CHARS = 80

# Statuses whose reason the card gives beside them; the others explain themselves.
REASONED = frozenset(
    {
        VerificationStatus.DISPUTED,
        VerificationStatus.FALSE,
        VerificationStatus.CONFIRMED,
        VerificationStatus.MISLEADING,
        VerificationStatus.CORROBORATED,
        VerificationStatus.INCONCLUSIVE,
    }
)


class Figured(Protocol):
    """What a figure is made of: a claim on the card, or one as followers last saw it."""

    @property
    def qualifier(self) -> Qualifier | None: ...
    @property
    def low(self) -> int | None: ...
    @property
    def high(self) -> int | None: ...
    @property
    def wording(self) -> str | None: ...


def figure_label(tr: Tr, claim: Figured) -> str | None:
    """The figure in a few words ('about 400', 'more than 600'); None for no figure."""
    low, high = claim.low, claim.high
    match claim.qualifier:
        case Qualifier.EXACT if low is not None:
            return tr.number(low)
        case Qualifier.APPROX if low is not None:
            return tr.gettext("about {figure}").format(figure=tr.number(low))
        case Qualifier.AT_LEAST if low is not None:
            return tr.gettext("at least {figure}").format(figure=tr.number(low))
        case Qualifier.MORE_THAN if low is not None:
            return tr.gettext("more than {figure}").format(figure=tr.number(low))
        case Qualifier.UP_TO if high is not None:
            return tr.gettext("up to {figure}").format(figure=tr.number(high))
        case Qualifier.RANGE if low is not None and high is not None:
            return f"{tr.number(low)}–{tr.number(high)}"
        case Qualifier.VAGUE if claim.wording:
            words = re.sub(r"^(?:in the|some|the)\s+", "", claim.wording.strip(), flags=re.I)
            return shorten(words[:1].lower() + words[1:], FIGURE_CHARS)
    # A denial or verdict ("none") is a statement, never a figure or a bound.
    return None


def latest_assessment(claim: ClaimView) -> AssessmentView | None:
    return claim.assessments[-1] if claim.assessments else None


def reason_text(claim: ClaimView) -> str | None:
    """The status's reason in a few words: the assessment's own, else its rationale cut."""
    latest = latest_assessment(claim)
    if claim.status not in REASONED or latest is None or latest.status != claim.status:
        return None
    if latest.reason:
        return latest.reason
    return shorten(latest.rationale, REASON_CHARS) if latest.rationale else None


def status_text(tr: Tr, claim: ClaimView) -> str:
    text = f"{STATUS_MARKERS[claim.status]} {status_name(tr, claim.status)}"
    reason = reason_text(claim)
    if reason:
        text += f": {escape(reason)}"
    if claim.lifecycle != Lifecycle.CURRENT:
        text += f" · {tr.gettext(LIFECYCLE_NAMES[claim.lifecycle])}"
    return text


def reported_text(tr: Tr, claim: ClaimView) -> str:
    if not claim.appearances:
        return tr.gettext("no report recorded")
    shown = []
    for appearance in claim.appearances[:MAX_APPEARANCES_SHOWN]:
        text = link(appearance_label(tr, appearance), appearance.url)
        details = []
        if appearance.figure_wording:
            # The outlet's own words, never translated; only the label around them is.
            wording = escape(shorten(appearance.figure_wording, FIGURE_CHARS))
            details.append(tr.gettext("as “{wording}”").format(wording=wording))
        if appearance.via:
            via = escape(shorten(appearance.via, FIGURE_CHARS))
            details.append(tr.gettext("citing {source}").format(source=via))
        shown.append(f"{text} ({', '.join(details)})" if details else text)
    hidden = len(claim.appearances) - len(shown)
    if hidden:
        shown.append(tr.gettext("{count} more").format(count=tr.number(hidden)))
    return "; ".join(shown)
