"""The data set in other people's formats: UCDP GED-style CSV, one row per report of a
claim, and schema.org ClaimReview JSON-LD for every assessed claim."""

import csv
import io
from typing import Any

from db.dataset_schema import (
    AppearanceRecord,
    ClaimRecord,
    DataSet,
    DocumentRecord,
    EventRecord,
    SourceRecord,
)
from db.vocabulary import DatePrecision, PlacePrecision, SourceKind, VerificationStatus

# UCDP GED-style columns, one row per report of a claim: the claimant is the source of
# the figure, the outlet (and whom it credits, `via`) is where it was reported. Unknown
# values are empty cells; denials and verdicts have no figure.
CSV_COLUMNS = (
    "claim_key",
    "event_slug",
    "event_title",
    "date_start",
    "date_end",
    "date_prec",
    "where_description",
    "where_prec",
    "adm_1",
    "country",
    "claimant",
    "claimant_kind",
    "claimant_side",
    "metric",
    "subject",
    "qualifier",
    "low",
    "best",
    "high",
    "wording",
    "stated_on",
    "basis",
    "lifecycle",
    "status",
    "status_reason",
    "supersedes",
    "source_outlet",
    "source_via",
    "source_headline",
    "source_date",
    "source_url",
    "source_wording",
    "source_figure_wording",
    "quote",
)

# UCDP's where_prec codes for how exactly the place is known.
WHERE_PREC = {
    PlacePrecision.EXACT: 1,
    PlacePrecision.NEAR: 2,
    PlacePrecision.REGION: 4,
    PlacePrecision.COUNTRY: 6,
}


def date_prec(event: EventRecord) -> int | None:
    """UCDP's date_prec: 1 the day, 2 a span of 2-6 days, 3 a week, 4 a month, 5 a year or
    more; None where the articles give no date."""
    if event.start_date is None:
        return None
    end = event.end_date or event.start_date
    if event.date_precision == DatePrecision.YEAR:
        return 5
    if event.date_precision == DatePrecision.MONTH:
        return 4
    days = (end - event.start_date).days + 1
    return 1 if days == 1 else 2 if days <= 6 else 3 if days <= 7 else 4 if days <= 31 else 5


def claims_to_csv(dataset: DataSet) -> str:
    events: dict[str, EventRecord] = {e.slug: e for e in dataset.events}
    sources: dict[str, SourceRecord] = {s.name: s for s in dataset.sources}
    documents: dict[str, DocumentRecord] = {d.key: d for d in dataset.documents}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for claim in dataset.claims:
        event, claimant = events[claim.event], sources[claim.claimant]
        latest = claim.assessments[-1] if claim.assessments else None
        row = [
            claim.key,
            event.slug,
            event.title,
            _blank(event.start_date),
            _blank(event.end_date or event.start_date),
            _blank(date_prec(event)),
            event.place,
            _blank(WHERE_PREC.get(event.place_precision)),
            event.region or "",
            event.country or "",
            claimant.name,
            claimant.kind.value,
            claimant.side.value,
            claim.metric.value,
            claim.subject or "",
            claim.qualifier.value if claim.qualifier else "",
            _blank(claim.low),
            _blank(_best_estimate(claim)),
            _blank(claim.high),
            claim.wording or "",
            _blank(claim.stated_on),
            claim.basis.value,
            claim.lifecycle.value,
            claim.status.value,
            (latest.reason or latest.rationale or "") if latest else "",
            claim.supersedes or "",
        ]
        for appearance in claim.appearances or [AppearanceRecord(document="none recorded")]:
            document = documents.get(appearance.article or "")
            writer.writerow(
                [
                    *row,
                    appearance.publisher or (document.publisher if document else None) or "",
                    appearance.via or "",
                    appearance.title or _headline(document),
                    _blank(appearance.published_on or (document and document.published_on)),
                    appearance.url or (document.url if document else None) or "",
                    appearance.wording or "",
                    appearance.figure_wording or claim.wording or "",
                    claim.quote,
                ]
            )
    return out.getvalue()


def _headline(document: DocumentRecord | None) -> str:
    if document is None:
        return ""
    if document.headline:
        return document.headline
    return f"{document.opening_words}…" if document.opening_words else ""


def _blank(value: object) -> object:
    return "" if value is None else value


def _best_estimate(claim: ClaimRecord) -> int | None:
    """UCDP's 'best': the one figure the claimant stated, where there is exactly one."""
    if claim.low is not None and claim.low == claim.high:
        return claim.low
    return None


# schema.org Rating on a 1 (false) to 5 (true) scale, for the statuses that are a verdict
# on that scale; "disputed", "inconclusive" and "unverified" are no point on it.
RATING = {
    VerificationStatus.FALSE: 1,
    VerificationStatus.MISLEADING: 2,
    VerificationStatus.CORROBORATED: 4,
    VerificationStatus.CONFIRMED: 5,
}
PERSON_KINDS = frozenset({SourceKind.INDIVIDUAL, SourceKind.OFFICIAL, SourceKind.BLOGGER})


def _creative_work(
    appearance: AppearanceRecord, documents: dict[str, DocumentRecord]
) -> dict[str, Any]:
    """Where a claim appeared, as schema.org describes a report: only what is known."""
    document = documents.get(appearance.article or "")
    outlet = appearance.publisher or (document.publisher if document else None)
    url = appearance.url or (document.url if document else None)
    headline = appearance.title or (document.headline if document else None)
    published = appearance.published_on or (document.published_on if document else None)
    work: dict[str, Any] = {"@type": "CreativeWork"}
    if url:
        work["url"] = url
    if headline:
        work["headline"] = headline
    if outlet:
        work["publisher"] = {"@type": "Organization", "name": outlet}
    if published:
        work["datePublished"] = published.isoformat()
    return work


def claim_reviews(dataset: DataSet, public_url: str, organisation: str) -> list[dict[str, Any]]:
    """schema.org ClaimReview JSON-LD, as Google documents it, for every assessed claim.

    `url` is the claim on its event's page under `public_url` (`claimbot web` serves it);
    `author` is `organisation`, who runs the bot; `datePublished` is the date of the latest
    assessment.
    """
    sources = {s.name: s for s in dataset.sources}
    documents = {d.key: d for d in dataset.documents}
    reviews = []
    for claim in dataset.claims:
        if not claim.assessments or claim.hidden:
            continue
        latest = claim.assessments[-1]
        claimant = sources[claim.claimant]
        item: dict[str, Any] = {
            "@type": "Claim",
            "author": {
                "@type": "Person" if claimant.kind in PERSON_KINDS else "Organization",
                "name": claimant.name,
            },
            "appearance": [_creative_work(a, documents) for a in claim.appearances],
        }
        if claim.stated_on:
            item["datePublished"] = claim.stated_on.isoformat()
        rating: dict[str, Any] = {"@type": "Rating", "alternateName": latest.status.value}
        if latest.status in RATING:
            rating |= {"ratingValue": RATING[latest.status], "bestRating": 5, "worstRating": 1}
        review: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "url": f"{public_url.rstrip('/')}/events/{claim.event}#claim-{claim.key}",
            "claimReviewed": claim.quote,
            "itemReviewed": item,
            "reviewRating": rating,
            "author": {"@type": "Organization", "name": organisation, "url": public_url},
            "datePublished": latest.set_at.date().isoformat(),
        }
        if latest.rationale:
            review["reviewBody"] = latest.rationale
        if latest.evidence:
            review["citation"] = list(latest.evidence)
        reviews.append(review)
    return reviews
