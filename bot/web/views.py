"""An event card as the web site shows it: plain text fields in the card's order, for the
page's template (which escapes them) and for the JSON API. Nothing here is markup."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.answering import claim_json
from bot.card import claim_groups, subject_adds
from bot.claim_text import figure_label, reason_text
from bot.i18n import ENGLISH, Tr
from bot.public_urls import claim_anchor, event_path
from bot.references import appearance_label
from bot.rendering import (
    LIFECYCLE_NAMES,
    RELATION_LABELS,
    SIDE_LABELS,
    STATUS_MARKERS,
    STATUS_MEANINGS,
    format_event_dates,
    status_name,
)
from db.queries import AppearanceView, AssessmentView, ClaimView, EventCard, EventListing
from db.vocabulary import Lifecycle

API_VERSION = "v1"


@dataclass(frozen=True)
class AppearanceEntry:
    outlet: str | None
    headline: str | None
    date: str | None
    url: str | None
    figure_wording: str | None
    via: str | None


@dataclass(frozen=True)
class StatusEntry:
    status: str
    marker: str
    date: str
    reason: str | None
    rationale: str | None
    evidence: tuple[str, ...]
    given_by: str | None


@dataclass(frozen=True)
class ClaimEntry:
    anchor: str
    claimant: str
    side: str
    figure: str | None
    wording: str | None
    subject: str | None
    summary: str
    quote: str
    date: str | None
    status: str
    marker: str
    meaning: str
    reason: str | None
    lifecycle: str
    current: bool  # not superseded or retracted
    appearances: tuple[AppearanceEntry, ...]
    history: tuple[StatusEntry, ...]  # oldest first; the last is the status shown


@dataclass(frozen=True)
class ClaimSection:
    heading: str
    chains: tuple[tuple[ClaimEntry, ...], ...]  # a claim, then the claims that revised it


@dataclass(frozen=True)
class RelatedEntry:
    title: str
    relation: str
    path: str


@dataclass(frozen=True)
class EventPage:
    slug: str
    title: str
    summary: str
    place: str
    dates: str | None
    date_note: str | None
    sections: tuple[ClaimSection, ...]
    related: tuple[RelatedEntry, ...]
    claim_count: int


def _date(tr: Tr, day: dt.date | None) -> str | None:
    return tr.date(day) if day else None


def _appearance(tr: Tr, appearance: AppearanceView) -> AppearanceEntry:
    document = appearance.source_document
    outlet = appearance.publisher or (document.publisher if document else None)
    headline = appearance.title or (document.headline if document else None)
    return AppearanceEntry(
        # Without an outlet or a headline, what the card calls it (opening words, say).
        outlet=outlet or (None if headline else appearance_label(tr, appearance)),
        headline=headline,
        date=_date(tr, appearance.published_on or (document.published_on if document else None)),
        url=appearance.url or (document.url if document else None),
        figure_wording=appearance.figure_wording,
        via=appearance.via,
    )


def _status(tr: Tr, assessment: AssessmentView) -> StatusEntry:
    return StatusEntry(
        status=status_name(tr, assessment.status),
        marker=STATUS_MARKERS[assessment.status],
        date=tr.date(assessment.set_at.date()),
        reason=assessment.reason,
        rationale=assessment.rationale,
        evidence=assessment.evidence,
        given_by=assessment.given_by,
    )


def claim_entry(tr: Tr, claim: ClaimView) -> ClaimEntry:
    return ClaimEntry(
        anchor=claim_anchor(claim.key),
        claimant=claim.claimant.name,
        side=tr.gettext(SIDE_LABELS[claim.claimant.side]),
        figure=figure_label(tr, claim),
        wording=claim.wording,
        subject=claim.subject if subject_adds(claim) else None,
        summary=claim.summary,
        quote=claim.quote,
        date=_date(tr, claim.stated_on),
        status=status_name(tr, claim.status),
        marker=STATUS_MARKERS[claim.status],
        meaning=tr.gettext(STATUS_MEANINGS[claim.status]),
        reason=reason_text(claim),
        lifecycle=tr.gettext(LIFECYCLE_NAMES[claim.lifecycle]),
        current=claim.lifecycle == Lifecycle.CURRENT,
        appearances=tuple(_appearance(tr, a) for a in claim.appearances),
        history=tuple(_status(tr, a) for a in claim.assessments),
    )


def event_page(card: EventCard, tr: Tr) -> EventPage:
    """The page's fields, its words in the reader's language; the claims as printed."""
    return EventPage(
        slug=card.slug,
        title=card.title,
        summary=card.summary,
        place=", ".join(p for p in (card.place, card.region, card.country) if p),
        dates=format_event_dates(tr, card),
        date_note=card.date_note,
        sections=tuple(
            ClaimSection(
                tr.gettext(heading),
                tuple(tuple(claim_entry(tr, c) for c in chain) for chain in chains),
            )
            for heading, chains in claim_groups(card)
        ),
        related=tuple(
            RelatedEntry(
                r.title, tr.gettext(RELATION_LABELS[(r.relation, r.outgoing)]), event_path(r.slug)
            )
            for r in card.related
        ),
        claim_count=len(card.claims),
    )


# ---------------------------------------------------------------- the JSON API (v1)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def listing_json(event: EventListing) -> dict[str, Any]:
    return {
        "slug": event.slug,
        "title": event.title,
        "place": event.place,
        "start_date": _iso(event.start_date),
        "claims": event.claim_count,
        "path": event_path(event.slug),
    }


def _appearance_json(appearance: AppearanceEntry, view: AppearanceView) -> dict[str, Any]:
    document = view.source_document
    return {
        "outlet": appearance.outlet,
        "headline": appearance.headline,
        "published_on": _iso(view.published_on or (document.published_on if document else None)),
        "url": appearance.url,
        "figure_wording": appearance.figure_wording,
        "via": appearance.via,
    }


def _assessment_json(assessment: AssessmentView) -> dict[str, Any]:
    return {
        "status": assessment.status.value,
        "reason": assessment.reason,
        "rationale": assessment.rationale,
        "evidence": list(assessment.evidence),
        "documents": list(assessment.documents),
        "given_by": assessment.given_by,
        "set_at": assessment.set_at.isoformat(),
    }


def api_claim_json(claim: ClaimView, supersedes: str | None) -> dict[str, Any]:
    """A claim as `claimbot ask --json` gives it, with everything else the page shows."""
    return claim_json(claim) | {
        "claimant_kind": claim.claimant.kind.value,
        "basis": claim.basis.value,
        "supersedes": supersedes,
        "status_reason": reason_text(claim),
        "appearances": [_appearance_json(_appearance(ENGLISH, a), a) for a in claim.appearances],
        "status_history": [_assessment_json(a) for a in claim.assessments],
    }


def event_json(card: EventCard) -> dict[str, Any]:
    keys = {c.id: c.key for c in card.claims}
    return {
        "api_version": API_VERSION,
        "event": {
            "slug": card.slug,
            "title": card.title,
            "summary": card.summary,
            "place": card.place,
            "region": card.region,
            "country": card.country,
            "start_date": _iso(card.start_date),
            "end_date": _iso(card.end_date),
            "date_precision": card.date_precision.value,
            "date_note": card.date_note,
            "path": event_path(card.slug),
        },
        "claims": [
            api_claim_json(c, keys.get(c.supersedes_id) if c.supersedes_id else None)
            for c in card.claims
        ],
        "related": [
            {
                "slug": r.slug,
                "title": r.title,
                "relation": r.relation.value,
                "direction": "outgoing" if r.outgoing else "incoming",
                "path": event_path(r.slug),
            }
            for r in card.related
        ],
    }
