"""The claimbot data-set format: what `claimbot import`/`export` read and write.

One document holds sources, documents (the articles claims were seen in), events
(with aliases and links) and claims (with where they were reported and every
verification status they have had). Records refer to each other by natural keys:
sources by `name`, documents and claims by `key`, events by `slug`. The same schema
validates the bundled seed data, imports and moderators' commands.

Its text limits, slug shape and figure rule are in `db.limits`.
"""

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from db.limits import (
    EVENT_SLUG_MAX,
    EVENT_SUMMARY_MAX,
    FIGURE_WORDING_MAX,
    HEADLINE_MAX,
    RATIONALE_MAX,
    REASON_MAX,
    SHORT_NAME_MAX,
    SLUG_PATTERN,
    check_figure,
)
from db.vocabulary import (
    BASE_LANGUAGE,
    TRANSLATED_LANGUAGES,
    AliasKind,
    Basis,
    DatePrecision,
    Lifecycle,
    Metric,
    PlacePrecision,
    Qualifier,
    Relation,
    Side,
    SourceKind,
    VerificationStatus,
)

FORMAT_NAME: Final = "claimbot-dataset"
FORMAT_VERSION: Final = 1

URL_PATTERN = r"^https?://[^\s]+$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=80)]
EventSlug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=EVENT_SLUG_MAX)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
EventSummary = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=EVENT_SUMMARY_MAX)
]
Rationale = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=RATIONALE_MAX)
]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=REASON_MAX)
]
ShortName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=SHORT_NAME_MAX)
]
Headline = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=HEADLINE_MAX)
]
FigureWording = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=FIGURE_WORDING_MAX)
]
Url = Annotated[str, StringConstraints(pattern=URL_PATTERN, max_length=2000)]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
Figure = Annotated[int, Field(ge=0, le=10**9)]


# Lists and mappings default through `default_factory`: pydantic deep-copies a literal
# `[]` or `{}` default for every record it validates (a tenth of validating a large file).
class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceRecord(Record):
    name: Name
    kind: SourceKind
    side: Side
    country: Name | None = None
    description: ShortText | None = None
    short_name: ShortName | None = Field(
        default=None, description="How a card's summary line names it, e.g. 'Russian MoD'."
    )


class DocumentRecord(Record):
    """An article or report, as a reader can find it: never shown by its `archive` name."""

    key: Slug
    publisher: Name | None = None
    headline: Headline | None = None
    opening_words: Headline | None = Field(
        default=None, description="The first words, for an article without a headline."
    )
    published_on: dt.date | None = None
    url: Url | None = None
    archive: ShortText | None = Field(
        default=None, description="The curators' own reference, e.g. the archived file."
    )

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not (self.publisher or self.headline or self.opening_words or self.url):
            raise ValueError("a document needs a publisher, a headline, opening words or a url")
        return self


class AliasRecord(Record):
    text: Name
    lang: LanguageCode | None = None
    kind: AliasKind = AliasKind.NAME


class RelatedEventRecord(Record):
    event: EventSlug
    relation: Relation
    note: ShortText | None = None


def check_languages(translations: Any) -> Any:
    """Refuse translations into a language the bot does not answer in (or into English)."""
    for language in translations if isinstance(translations, Mapping) else ():
        if language == BASE_LANGUAGE:
            raise ValueError(
                "translations: 'en' is the record's own text; put it in the fields themselves"
            )
        if language not in TRANSLATED_LANGUAGES:
            raise ValueError(
                f"translations: {language!r} is not a language the bot answers in; "
                f"use one of {', '.join(TRANSLATED_LANGUAGES)}"
            )
    return translations


class EventTranslationRecord(Record):
    """An event's title, summary and notes on dates in one more language; a field left out
    is shown in English."""

    title: Name | None = None
    summary: EventSummary | None = None
    date_note: ShortText | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.title is None and self.summary is None and self.date_note is None:
            raise ValueError(
                "a translation needs a title, a summary or a date_note; leave the language "
                "out to show the English text"
            )
        return self


class ClaimTranslationRecord(Record):
    """A claim's summary in one more language, as a moderator wrote it (its quote and
    figure wording stay as printed)."""

    summary: ShortText


class EventRecord(Record):
    slug: EventSlug
    title: Name
    summary: EventSummary
    place: Name
    region: Name | None = None
    country: Name | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    date_precision: DatePrecision = DatePrecision.DAY
    date_note: ShortText | None = None
    place_precision: PlacePrecision = PlacePrecision.UNKNOWN
    hidden: bool = False
    aliases: list[AliasRecord] = Field(default_factory=list)
    related: list[RelatedEventRecord] = Field(default_factory=list)
    translations: dict[str, EventTranslationRecord] = Field(
        default_factory=dict, description="By language (uk, ru): the text shown in that language."
    )

    _languages = field_validator("translations", mode="before")(check_languages)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.end_date and not self.start_date:
            raise ValueError("end_date needs a start_date")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        texts = [alias.text.casefold() for alias in self.aliases]
        if len(texts) != len(set(texts)):
            raise ValueError("an alias is listed twice")
        if any(link.event == self.slug for link in self.related):
            raise ValueError("an event cannot be related to itself")
        return self


class AppearanceRecord(Record):
    """Where a claim was reported: a recorded document (`article`), else the publisher, a
    free-text reference or a URL."""

    article: Slug | None = Field(default=None, description="The key of a listed document.")
    publisher: Name | None = None
    via: Name | None = Field(
        default=None, description="The outlet the publisher credits, e.g. TASS or the BBC."
    )
    document: ShortText | None = None
    url: Url | None = None
    title: ShortText | None = None
    published_on: dt.date | None = None
    wording: LongText | None = None
    figure_wording: FigureWording | None = Field(
        default=None, description="The figure as this report words it, if not as the claim."
    )

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not (self.article or self.publisher or self.document or self.url):
            raise ValueError("an appearance needs an article, a publisher, a document or a url")
        return self


class AssessmentRecord(Record):
    status: VerificationStatus
    rationale: Rationale | None = None
    reason: Reason | None = Field(
        default=None, description="The reason in a few words, shown beside the status."
    )
    given_by: Name | None = Field(
        default=None, description="The source whose verdict or report the status rests on."
    )
    evidence: list[Url] = Field(default_factory=list)
    documents: list[Slug] = Field(
        default_factory=list, description="Keys of the documents it cites."
    )
    set_by: Name
    set_at: dt.datetime


class ClaimRecord(Record):
    key: Slug
    event: EventSlug
    claimant: Name
    metric: Metric
    subject: ShortText | None = None
    qualifier: Qualifier | None = None
    low: Figure | None = None
    high: Figure | None = None
    wording: ShortText | None = None
    summary: ShortText
    quote: LongText
    stated_on: dt.date | None = None
    basis: Basis = Basis.UNKNOWN
    supersedes: Slug | None = None
    lifecycle: Lifecycle = Lifecycle.CURRENT
    status: VerificationStatus = VerificationStatus.UNVERIFIED
    hidden: bool = False
    appearances: list[AppearanceRecord] = Field(default_factory=list)
    assessments: list[AssessmentRecord] = Field(default_factory=list)
    translations: dict[str, ClaimTranslationRecord] = Field(
        default_factory=dict,
        description="By language (uk, ru): the summary shown in that language.",
    )

    _languages = field_validator("translations", mode="before")(check_languages)

    @model_validator(mode="after")
    def _check(self) -> Self:
        check_figure(self.qualifier, self.low, self.high, self.wording)
        if self.supersedes == self.key:
            raise ValueError("a claim cannot supersede itself")
        if self.assessments and self.assessments[-1].status != self.status:
            raise ValueError(
                f"status is {self.status.value!r} but the last assessment says "
                f"{self.assessments[-1].status.value!r}"
            )
        return self


class DataSet(Record):
    format: Literal["claimbot-dataset"] = FORMAT_NAME
    version: Literal[1] = FORMAT_VERSION
    sources: list[SourceRecord] = Field(default_factory=list)
    documents: list[DocumentRecord] = Field(default_factory=list)
    events: list[EventRecord] = Field(default_factory=list)
    claims: list[ClaimRecord] = Field(default_factory=list)
