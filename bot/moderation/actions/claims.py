"""Commands on claims: add and correct them, where they were reported, and their status."""

import datetime as dt
import re
from dataclasses import dataclass, replace
from enum import StrEnum

from anyascii import anyascii
from sqlalchemy import select

from bot.moderation.actions.translations import (
    LANG,
    translate_claim,
    translating,
    without_lang,
)
from bot.moderation.arguments import Figure, parse_figure
from bot.moderation.errors import ModerationError
from bot.moderation.spec import (
    CLAIM,
    EVENT,
    VERSION,
    CommandArguments,
    CommandSpec,
    Kind,
    field_spec,
    optional,
)
from bot.moderation.work import Work, data_command
from db.models import Appearance, Claim, Event, Source
from db.vocabulary import (
    Basis,
    Lifecycle,
    Metric,
    Qualifier,
    VerificationStatus,
)

# How a figure was stated, or that the claim states none: a claim is added with one or
# the other, never with the figure just left out.
NO_FIGURE = "no_figure"
FigureStated = StrEnum(  # type: ignore[misc]
    "FigureStated", {**{q.name: q.value for q in Qualifier}, "NO_FIGURE": NO_FIGURE}
)

CLAIM_FIELDS = (
    field_spec(
        "claimant", Kind.SOURCE, "Who made the claim? Send the source's name.", required=True
    ),
    field_spec("metric", Kind.CHOICE, "What does the claim count?", required=True, choices=Metric),
    field_spec(
        "qualifier",
        Kind.CHOICE,
        f"How is the figure stated? {NO_FIGURE} if the claim gives none; Skip to read it from "
        "the claimant's words.",
        choices=FigureStated,
    ),
    field_spec(
        "figure",
        Kind.FIGURE,
        "The figure in the claimant's words, e.g. about 400?",
        required=True,
        unless=("qualifier", NO_FIGURE),
    ),
    field_spec("subject", Kind.TEXT, "About whom, e.g. Russian servicemen?", max_length=500),
    field_spec(
        "quote", Kind.TEXT, "The claim, quoted word for word?", required=True, max_length=5000
    ),
    field_spec("date", Kind.DATE, "When was it stated (YYYY-MM-DD)?"),
    field_spec("basis", Kind.CHOICE, "What is the claim based on?", choices=Basis),
    field_spec("summary", Kind.TEXT, "A one-line summary? Skip to use the quote.", max_length=500),
)
APPEARANCE_FIELDS = (
    field_spec("publisher", Kind.PUBLISHER, "Who reported it? Send the outlet's name."),
    field_spec("url", Kind.URL, "The report's address (http:// or https://)?"),
)
# Argument keys and the claim columns they set as given.
CLAIM_COLUMNS = {"subject": "subject", "quote": "quote", "summary": "summary", "date": "stated_on"}


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", anyascii(text).lower()).strip("-")


def _summary_of(quote: str) -> str:
    return quote if len(quote) <= 500 else quote[:499].rstrip() + "…"


def _figure(raw: str | None, stated: StrEnum | None) -> Figure | None:
    if stated is not None and stated.value == NO_FIGURE:
        if raw is not None:
            raise ModerationError(
                f"qualifier={NO_FIGURE} says the claim gives no figure, but figure= gives one; "
                "keep one of them.",
                key="figure",
            )
        return None
    if raw is None:
        if stated is not None:
            raise ModerationError("qualifier needs a figure=.", key="figure")
        return None
    return parse_figure(raw, Qualifier(stated.value) if stated is not None else None)


def _set_figure(claim: Claim, figure: Figure | None) -> None:
    if figure is None:
        claim.qualifier = claim.low = claim.high = claim.wording = None
    else:
        claim.qualifier, claim.low, claim.high = figure.qualifier, figure.low, figure.high
        claim.wording = figure.wording


def _claim_key(w: Work, event: Event, claimant: Source, metric: str) -> str:
    base = slugify(f"{event.slug} {claimant.name} {metric}")[:72].strip("-")
    taken = set(w.session.scalars(select(Claim.key).where(Claim.key.startswith(base))))
    key, number = base, 2
    while key in taken:
        key, number = f"{base}-{number}", number + 1
    return key


@dataclass(frozen=True)
class AddClaim(CommandArguments):
    event: str
    claimant: str
    metric: Metric
    quote: str
    figure: str | None = None
    qualifier: StrEnum | None = None
    subject: str | None = None
    date: dt.date | None = None
    basis: Basis | None = None
    summary: str | None = None
    publisher: str | None = None
    url: str | None = None
    key: str | None = None


@data_command(
    CommandSpec(
        "addclaim",
        "Add a claim",
        '/addclaim event=test-strike claimant="Testville city council" metric=killed '
        'figure="about 12" quote="About 12 people were killed." date=2023-01-10 '
        'publisher="Example News" url=https://example.org/a',
        AddClaim,
        (
            EVENT,
            *CLAIM_FIELDS,
            *APPEARANCE_FIELDS,
            field_spec("key", Kind.SLUG, "A key for the claim?", in_form=False),
        ),
        notifies=True,
    )
)
def addclaim(w: Work, a: AddClaim) -> str:
    event = w.event(a.event)
    claimant = w.source(a.claimant, "claimant")
    figure = _figure(a.figure, a.qualifier)
    key = a.key or _claim_key(w, event, claimant, a.metric.value)
    if w.find_claim(key) is not None:
        w.fail(f"there is already a claim with the key {key}.", "key")
    if not (a.publisher or a.url):
        w.fail(
            "say where the claim was reported: give publisher= (the outlet) or url= (the "
            "report's address), or both.",
            "publisher",
        )
    publisher = w.publisher(a.publisher, "publisher") if a.publisher else None
    claim = Claim(
        key=key,
        event=event,
        claimant=claimant,
        metric=a.metric,
        subject=a.subject,
        summary=a.summary or _summary_of(a.quote),
        quote=a.quote,
        stated_on=a.date,
        basis=a.basis or Basis.UNKNOWN,
        lifecycle=Lifecycle.CURRENT,
        status=VerificationStatus.UNVERIFIED,
        hidden=False,
        appearances=[Appearance(publisher=publisher, url=a.url)],
    )
    _set_figure(claim, figure)
    w.save("addclaim", claim, None)
    w.touched.add(event.slug)
    return f"Added claim #{claim.id} to {event.slug}."


@dataclass(frozen=True)
class EditClaim(CommandArguments):
    claim: str
    event: str | None = None
    claimant: str | None = None
    metric: Metric | None = None
    figure: str | None = None
    qualifier: StrEnum | None = None
    subject: str | None = None
    quote: str | None = None
    date: dt.date | None = None
    basis: Basis | None = None
    summary: str | None = None
    lang: str | None = None
    version: int | None = None


@data_command(
    CommandSpec(
        "editclaim",
        "Correct a claim, or its summary in Ukrainian or Russian (lang=uk, lang=ru)",
        '/editclaim 12 figure="about 15"',
        EditClaim,
        (
            CLAIM,
            replace(EVENT, required=False, prompt="Move it to which event (slug)?"),
            *optional(CLAIM_FIELDS),
            LANG,
            VERSION,
        ),
        positional=("claim",),
        edits=True,
        notifies=True,
    )
)
def editclaim(w: Work, a: EditClaim) -> str:
    claim = w.claim(a.claim)
    w.check_version(claim, a.version)
    before = w.snapshot(claim)
    if a.lang is not None and translating(w, a.lang):
        return translate_claim(w, claim, before, a, a.lang)
    required = ("event", "claimant", "metric", "quote", "summary")
    changes = w.edited(without_lang(a), "claim", required)
    w.touched.add(claim.event.slug)
    if a.event is not None:
        claim.event = w.event(a.event)
        w.touched.add(claim.event.slug)
    if a.claimant is not None:
        claim.claimant = w.source(a.claimant, "claimant")
    if a.metric is not None:
        claim.metric = a.metric
    if "basis" in changes:
        claim.basis = a.basis or Basis.UNKNOWN
    if "figure" in changes or "qualifier" in changes:
        raw = a.figure if "figure" in changes else claim.wording
        if raw is None and "figure" not in changes:
            w.fail(f"claim #{claim.id} has no figure to qualify; give figure= too.", "figure")
        _set_figure(claim, _figure(raw, a.qualifier))
    for key, column in CLAIM_COLUMNS.items():
        if key in changes:
            setattr(claim, column, changes[key])
    w.save("editclaim", claim, before)
    return f"Updated claim #{claim.id} (now version {claim.version})."


@dataclass(frozen=True)
class Report(CommandArguments):
    claim: str
    publisher: str | None = None
    url: str | None = None
    wording: str | None = None
    date: dt.date | None = None
    title: str | None = None
    via: str | None = None
    document: str | None = None
    version: int | None = None


@data_command(
    CommandSpec(
        "report",
        "Record where a claim was reported",
        '/report 12 publisher="Example News" url=https://example.org/a '
        'wording="about a dozen were killed"',
        Report,
        (
            CLAIM,
            *APPEARANCE_FIELDS,
            field_spec("wording", Kind.TEXT, "The report's own wording?", max_length=5000),
            field_spec("date", Kind.DATE, "Published on (YYYY-MM-DD)?"),
            field_spec("title", Kind.TEXT, "The report's headline?", max_length=500),
            field_spec("via", Kind.PUBLISHER, "The outlet it credits, e.g. TASS?"),
            field_spec(
                "document", Kind.TEXT, "A document reference, if there is no URL?", max_length=500
            ),
            VERSION,
        ),
        positional=("claim",),
    )
)
def report(w: Work, a: Report) -> str:
    claim = w.claim(a.claim)
    w.check_version(claim, a.version)
    before = w.snapshot(claim)
    if not (a.publisher or a.url or a.document):
        w.fail("say where the claim was reported: give publisher=, url= or document=.")
    publisher = w.publisher(a.publisher, "publisher") if a.publisher else None
    via = w.publisher(a.via, "via") if a.via else None
    for seen in claim.appearances:
        if (seen.publisher, seen.url, seen.document) == (publisher, a.url, a.document):
            w.fail(f"claim #{claim.id} already has this report.")
    claim.appearances.append(
        Appearance(
            publisher=publisher,
            via=via,
            document=a.document,
            url=a.url,
            title=a.title,
            published_on=a.date,
            wording=a.wording,
        )
    )
    w.save("report", claim, before)
    return f"Recorded where claim #{claim.id} was reported."
