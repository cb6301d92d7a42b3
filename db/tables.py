"""The tables answering reads, defined in SQLAlchemy Core: events, their claims and reports.

Every answer with a card waits for reads on these tables, a new process's first one too.
Declared here as plain tables, they cost a cold `claimbot ask` neither the ORM (importing it,
building the declarative classes and configuring their mappers, about half a second of a
cold start) nor entities copied into views. `db.models` maps its classes onto these tables
(and declares the others on the same metadata) for the writes and the ORM queries.
"""

import datetime as dt
import enum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)

from db.vocabulary import (
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

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

METADATA = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


def _values(members: type[enum.StrEnum]) -> list[str]:
    return [member.value for member in members]


def vocabulary(enum_class: type[enum.StrEnum], name: str) -> Enum:
    """A VARCHAR column restricted by a CHECK constraint to the vocabulary's values."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=_values,
        validate_strings=True,
    )


def _versioned_and_timestamped() -> tuple[Column[int], Column[dt.datetime], Column[dt.datetime]]:
    """The optimistic-lock version and the creation and change times of an edited record."""
    return (
        Column("version", Integer, nullable=False, default=1),
        Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
        Column("updated_at", UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow),
    )


def _url_is_http() -> CheckConstraint:
    """A table's `url`, where given, is an http(s) address."""
    return CheckConstraint(
        "url IS NULL OR url LIKE 'http://%' OR url LIKE 'https://%'", name="url_is_http"
    )


SOURCES = Table(
    "sources",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", vocabulary(SourceKind, "source_kind"), nullable=False),
    Column("side", vocabulary(Side, "side"), nullable=False),
    Column("country", String(200)),
    Column("description", String(500)),
    # How a card's summary line names it ("Russian MoD"); the name where unset.
    Column("short_name", String(40)),
    *_versioned_and_timestamped(),
    CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
)

EVENTS = Table(
    "events",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("slug", String(60), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("summary", Text, nullable=False),
    Column("place", String(200), nullable=False),
    Column("region", String(200)),
    Column("country", String(200)),
    Column("start_date", Date),
    Column("end_date", Date),
    Column(
        "date_precision",
        vocabulary(DatePrecision, "date_precision"),
        nullable=False,
        default=DatePrecision.DAY,
    ),
    Column("date_note", String(500)),
    Column(
        "place_precision",
        vocabulary(PlacePrecision, "place_precision"),
        nullable=False,
        default=PlacePrecision.UNKNOWN,
        server_default=PlacePrecision.UNKNOWN.value,
    ),
    Column("hidden", Boolean, nullable=False, default=False),
    *_versioned_and_timestamped(),
    # SQLite has no regex: these three together keep slugs to lower-case words joined by '-'.
    CheckConstraint("slug = lower(slug)", name="slug_lowercase"),
    CheckConstraint(
        "length(slug) > 0 AND slug NOT LIKE '% %' AND slug NOT LIKE '-%' AND slug NOT LIKE '%-'",
        name="slug_shape",
    ),
    CheckConstraint("end_date IS NULL OR start_date IS NOT NULL", name="end_needs_start"),
    CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
)

# Another name people use for an event: a spelling, a transliteration or a keyword.
ALIASES = Table(
    "event_aliases",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column(
        "event_id",
        Integer,
        ForeignKey("events.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("text", String(200), nullable=False),
    Column("lang", String(3)),
    Column("kind", vocabulary(AliasKind, "alias_kind"), nullable=False),
    UniqueConstraint("event_id", "text", name="uq_event_aliases_event_text"),
    CheckConstraint("length(trim(text)) > 0", name="text_not_blank"),
)

# An event's title, summary and notes on dates in another language than English, as a
# moderator wrote them; a field left empty is shown in English.
EVENT_TRANSLATIONS = Table(
    "event_translations",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    Column("lang", String(3), nullable=False),
    Column("title", String(200)),
    Column("summary", Text),
    Column("date_note", String(500)),
    UniqueConstraint("event_id", "lang", name="uq_event_translations_event_lang"),
    CheckConstraint("lang <> 'en'", name="not_english"),
    CheckConstraint(
        "title IS NOT NULL OR summary IS NOT NULL OR date_note IS NOT NULL",
        name="says_something",
    ),
)

# A directed relation between two events, e.g. one presented as retaliation for the other.
LINKS = Table(
    "event_links",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column(
        "event_id",
        Integer,
        ForeignKey("events.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column(
        "related_event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), nullable=False
    ),
    Column("relation", vocabulary(Relation, "relation"), nullable=False),
    Column("note", String(500)),
    UniqueConstraint(
        "event_id", "related_event_id", "relation", name="uq_event_links_pair_relation"
    ),
    CheckConstraint("event_id <> related_event_id", name="not_self"),
)

# Mirrors db.limits.check_figure: which of low/high a qualifier requires.
FIGURE_FITS_QUALIFIER = """
(qualifier IS NULL AND low IS NULL AND high IS NULL AND wording IS NULL)
OR (qualifier IN ('exact', 'approx') AND low IS NOT NULL AND high = low)
OR (qualifier IN ('at_least', 'more_than') AND low IS NOT NULL AND high IS NULL)
OR (qualifier = 'up_to' AND low IS NULL AND high IS NOT NULL)
OR (qualifier = 'range' AND low IS NOT NULL AND high IS NOT NULL AND low < high)
OR (qualifier = 'vague' AND low IS NULL AND high IS NULL)
OR (qualifier = 'none' AND low = 0 AND high = 0)
"""

# One statement by one claimant about one event, with its figure typed.
CLAIMS = Table(
    "claims",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("key", String(80), nullable=False, unique=True),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False, index=True),
    Column("claimant_id", Integer, ForeignKey("sources.id"), nullable=False, index=True),
    Column("metric", vocabulary(Metric, "metric"), nullable=False),
    Column("subject", String(500)),
    Column("qualifier", vocabulary(Qualifier, "qualifier")),
    Column("low", BigInteger),
    Column("high", BigInteger),
    Column("wording", String(500)),
    Column("summary", String(500), nullable=False),
    Column("quote", Text, nullable=False),
    Column("stated_on", Date),
    Column("basis", vocabulary(Basis, "basis"), nullable=False, default=Basis.UNKNOWN),
    Column("supersedes_id", Integer, ForeignKey("claims.id")),
    Column(
        "lifecycle",
        vocabulary(Lifecycle, "lifecycle"),
        nullable=False,
        default=Lifecycle.CURRENT,
    ),
    Column(
        "status",
        vocabulary(VerificationStatus, "verification_status"),
        nullable=False,
        default=VerificationStatus.UNVERIFIED,
    ),
    Column("hidden", Boolean, nullable=False, default=False),
    *_versioned_and_timestamped(),
    CheckConstraint(FIGURE_FITS_QUALIFIER, name="figure_fits_qualifier"),
    CheckConstraint("low IS NULL OR low >= 0", name="low_not_negative"),
    CheckConstraint("high IS NULL OR high >= 0", name="high_not_negative"),
    CheckConstraint("supersedes_id IS NULL OR supersedes_id <> id", name="not_self_superseding"),
    CheckConstraint("length(trim(quote)) > 0", name="quote_not_blank"),
)

# A claim's summary in another language than English, as a moderator wrote it; its quote
# and figure wording are never translated.
CLAIM_TRANSLATIONS = Table(
    "claim_translations",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("claim_id", Integer, ForeignKey("claims.id", ondelete="CASCADE"), nullable=False),
    Column("lang", String(3), nullable=False),
    Column("summary", String(500), nullable=False),
    UniqueConstraint("claim_id", "lang", name="uq_claim_translations_claim_lang"),
    CheckConstraint("lang <> 'en'", name="not_english"),
    CheckConstraint("length(trim(summary)) > 0", name="summary_not_blank"),
)

# An article or report claims were seen in, as a reader can find it again. `archive` is the
# curators' own reference (e.g. the file an article was copied to); users are shown the
# outlet, the headline (else the opening words), the date and the URL, whichever are known.
DOCUMENTS = Table(
    "documents",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("key", String(80), nullable=False, unique=True),
    Column("publisher_id", Integer, ForeignKey("sources.id")),
    Column("headline", String(300)),
    Column("opening_words", String(300)),
    Column("published_on", Date),
    Column("url", String(2000)),
    Column("archive", String(500)),
    CheckConstraint(
        "publisher_id IS NOT NULL OR headline IS NOT NULL OR opening_words IS NOT NULL "
        "OR url IS NOT NULL",
        name="identifiable",
    ),
    _url_is_http(),
)

# Where a claim was reported, in the outlet's own wording.
APPEARANCES = Table(
    "appearances",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column(
        "claim_id",
        Integer,
        ForeignKey("claims.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("publisher_id", Integer, ForeignKey("sources.id")),
    Column("via_id", Integer, ForeignKey("sources.id")),
    Column("document_id", Integer, ForeignKey("documents.id")),
    # A free-text reference where the report is not a recorded document.
    Column("document", String(500)),
    Column("url", String(2000)),
    Column("title", String(500)),
    Column("published_on", Date),
    Column("wording", Text),
    # The figure as this report words it, where that differs from the claim's wording
    # ("some 400" where another report has "up to 400").
    Column("figure_wording", String(200)),
    CheckConstraint(
        "publisher_id IS NOT NULL OR document IS NOT NULL OR url IS NOT NULL "
        "OR document_id IS NOT NULL",
        name="says_where",
    ),
    _url_is_http(),
)

# One verification status a claim was given; append-only (trigger).
ASSESSMENTS = Table(
    "assessments",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("claim_id", Integer, ForeignKey("claims.id"), nullable=False, index=True),
    Column("status", vocabulary(VerificationStatus, "verification_status"), nullable=False),
    Column("rationale", Text),
    # The reason in a few words, shown beside the status on the card.
    Column("reason", String(120)),
    # Whose verdict or report the status rests on (a source's name), where not the moderators'.
    Column("given_by", String(200)),
    Column("evidence", JSON, nullable=False, default=list),
    # Keys of the recorded documents the rationale cites.
    Column("documents", JSON),
    Column("set_by", String(200), nullable=False),
    Column("set_at", UTCDateTime(), nullable=False, default=utcnow),
)

# One change to one row, with who made it and the row before and after; append-only. The
# answering side reads where the log has got to and which records new entries touched.
AUDIT_LOG = Table(
    "audit_log",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column(
        "at",
        UTCDateTime(),
        nullable=False,
        default=utcnow,
        server_default=func.current_timestamp(),
    ),
    Column("actor", String(200), nullable=False),
    Column("action", String(40), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("entity_id", Integer),
    Column("before", JSON),
    Column("after", JSON),
    # Rows changed by one moderator command share a batch, so /undo can revert them together.
    Column("batch", String(40), nullable=False, index=True),
    Index("ix_audit_log_entity", "entity", "entity_id"),
)

# What a card and the matcher both read of an event.
EVENT_FIELDS = (
    EVENTS.c.id,
    EVENTS.c.slug,
    EVENTS.c.title,
    EVENTS.c.summary,
    EVENTS.c.place,
    EVENTS.c.region,
    EVENTS.c.country,
    EVENTS.c.start_date,
    EVENTS.c.end_date,
    EVENTS.c.date_note,
)
