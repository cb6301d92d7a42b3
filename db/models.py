"""The claims database: SQLAlchemy 2.0 typed models.

Rules that keep the data honest live in the database as constraints, not only
in Python: vocabularies are CHECKed, figures must fit their qualifier, an
appearance must say where it was seen, and the assessment history and audit
log are append-only (triggers, see the migrations).
"""

import datetime as dt
import enum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.vocabulary import (
    AliasKind,
    Basis,
    DatePrecision,
    Lifecycle,
    Metric,
    PlacePrecision,
    Qualifier,
    Relation,
    Role,
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


def vocabulary(enum_class: type[enum.StrEnum], name: str) -> Enum:
    """A VARCHAR column restricted by a CHECK constraint to the vocabulary's values."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime}


class TimestampedMixin:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Source(TimestampedMixin, Base):
    """Anyone who makes a claim (claimant) or reports one (publisher)."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[SourceKind] = mapped_column(vocabulary(SourceKind, "source_kind"))
    side: Mapped[Side] = mapped_column(vocabulary(Side, "side"))
    country: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(500))
    # How a card's summary line names it ("Russian MoD"); the name where unset.
    short_name: Mapped[str | None] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(default=1)

    __table_args__ = (CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Event(TimestampedMixin, Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    date_precision: Mapped[DatePrecision] = mapped_column(
        vocabulary(DatePrecision, "date_precision"), default=DatePrecision.DAY
    )
    date_note: Mapped[str | None] = mapped_column(String(500))
    place_precision: Mapped[PlacePrecision] = mapped_column(
        vocabulary(PlacePrecision, "place_precision"),
        default=PlacePrecision.UNKNOWN,
        server_default=PlacePrecision.UNKNOWN.value,
    )
    hidden: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)

    aliases: Mapped[list["EventAlias"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventAlias.id"
    )
    links: Mapped[list["EventLink"]] = relationship(
        foreign_keys="EventLink.event_id",
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="EventLink.id",
    )
    claims: Mapped[list["Claim"]] = relationship(back_populates="event", order_by="Claim.id")
    translations: Mapped[list["EventTranslation"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventTranslation.lang"
    )

    __table_args__ = (
        # SQLite has no regex: these three together keep slugs to lower-case words joined by '-'.
        CheckConstraint("slug = lower(slug)", name="slug_lowercase"),
        CheckConstraint(
            "length(slug) > 0 AND slug NOT LIKE '% %' "
            "AND slug NOT LIKE '-%' AND slug NOT LIKE '%-'",
            name="slug_shape",
        ),
        CheckConstraint("end_date IS NULL OR start_date IS NOT NULL", name="end_needs_start"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class EventAlias(Base):
    """Another name people use for an event: a spelling, a transliteration or a keyword."""

    __tablename__ = "event_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(200))
    lang: Mapped[str | None] = mapped_column(String(3))
    kind: Mapped[AliasKind] = mapped_column(vocabulary(AliasKind, "alias_kind"))

    event: Mapped[Event] = relationship(back_populates="aliases")

    __table_args__ = (
        UniqueConstraint("event_id", "text", name="uq_event_aliases_event_text"),
        CheckConstraint("length(trim(text)) > 0", name="text_not_blank"),
    )


class EventTranslation(Base):
    """An event's title, summary and notes on dates in another language than English, as a
    moderator wrote them; a field left empty is shown in English."""

    __tablename__ = "event_translations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(3))
    title: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    date_note: Mapped[str | None] = mapped_column(String(500))

    event: Mapped[Event] = relationship(back_populates="translations")

    __table_args__ = (
        UniqueConstraint("event_id", "lang", name="uq_event_translations_event_lang"),
        CheckConstraint("lang <> 'en'", name="not_english"),
        CheckConstraint(
            "title IS NOT NULL OR summary IS NOT NULL OR date_note IS NOT NULL",
            name="says_something",
        ),
    )


class EventLink(Base):
    """A directed relation between two events, e.g. one presented as retaliation for the other."""

    __tablename__ = "event_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    related_event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    relation: Mapped[Relation] = mapped_column(vocabulary(Relation, "relation"))
    note: Mapped[str | None] = mapped_column(String(500))

    event: Mapped[Event] = relationship(foreign_keys=[event_id], back_populates="links")
    related_event: Mapped[Event] = relationship(foreign_keys=[related_event_id])

    __table_args__ = (
        UniqueConstraint(
            "event_id", "related_event_id", "relation", name="uq_event_links_pair_relation"
        ),
        CheckConstraint("event_id <> related_event_id", name="not_self"),
    )


# Mirrors db.dataset_schema.check_figure: which of low/high a qualifier requires.
FIGURE_FITS_QUALIFIER = """
(qualifier IS NULL AND low IS NULL AND high IS NULL AND wording IS NULL)
OR (qualifier IN ('exact', 'approx') AND low IS NOT NULL AND high = low)
OR (qualifier IN ('at_least', 'more_than') AND low IS NOT NULL AND high IS NULL)
OR (qualifier = 'up_to' AND low IS NULL AND high IS NOT NULL)
OR (qualifier = 'range' AND low IS NOT NULL AND high IS NOT NULL AND low < high)
OR (qualifier = 'vague' AND low IS NULL AND high IS NULL)
OR (qualifier = 'none' AND low = 0 AND high = 0)
"""


class Claim(TimestampedMixin, Base):
    """One statement by one claimant about one event, with its figure typed."""

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    claimant_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    metric: Mapped[Metric] = mapped_column(vocabulary(Metric, "metric"))
    subject: Mapped[str | None] = mapped_column(String(500))
    qualifier: Mapped[Qualifier | None] = mapped_column(vocabulary(Qualifier, "qualifier"))
    low: Mapped[int | None] = mapped_column(BigInteger)
    high: Mapped[int | None] = mapped_column(BigInteger)
    wording: Mapped[str | None] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(String(500))
    quote: Mapped[str] = mapped_column(Text)
    stated_on: Mapped[dt.date | None] = mapped_column(Date)
    basis: Mapped[Basis] = mapped_column(vocabulary(Basis, "basis"), default=Basis.UNKNOWN)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    lifecycle: Mapped[Lifecycle] = mapped_column(
        vocabulary(Lifecycle, "lifecycle"), default=Lifecycle.CURRENT
    )
    status: Mapped[VerificationStatus] = mapped_column(
        vocabulary(VerificationStatus, "verification_status"),
        default=VerificationStatus.UNVERIFIED,
    )
    hidden: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)

    event: Mapped[Event] = relationship(back_populates="claims")
    claimant: Mapped[Source] = relationship()
    supersedes: Mapped["Claim | None"] = relationship(remote_side=[id])
    appearances: Mapped[list["Appearance"]] = relationship(
        back_populates="claim", cascade="all, delete-orphan", order_by="Appearance.id"
    )
    assessments: Mapped[list["Assessment"]] = relationship(
        back_populates="claim", order_by="Assessment.id"
    )
    translations: Mapped[list["ClaimTranslation"]] = relationship(
        back_populates="claim", cascade="all, delete-orphan", order_by="ClaimTranslation.lang"
    )

    __table_args__ = (
        CheckConstraint(FIGURE_FITS_QUALIFIER, name="figure_fits_qualifier"),
        CheckConstraint("low IS NULL OR low >= 0", name="low_not_negative"),
        CheckConstraint("high IS NULL OR high >= 0", name="high_not_negative"),
        CheckConstraint(
            "supersedes_id IS NULL OR supersedes_id <> id", name="not_self_superseding"
        ),
        CheckConstraint("length(trim(quote)) > 0", name="quote_not_blank"),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ClaimTranslation(Base):
    """A claim's summary in another language than English, as a moderator wrote it; its
    quote and figure wording are never translated."""

    __tablename__ = "claim_translations"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(3))
    summary: Mapped[str] = mapped_column(String(500))

    claim: Mapped[Claim] = relationship(back_populates="translations")

    __table_args__ = (
        UniqueConstraint("claim_id", "lang", name="uq_claim_translations_claim_lang"),
        CheckConstraint("lang <> 'en'", name="not_english"),
        CheckConstraint("length(trim(summary)) > 0", name="summary_not_blank"),
    )


def url_is_http() -> CheckConstraint:
    """A table's `url`, where given, is an http(s) address."""
    return CheckConstraint(
        "url IS NULL OR url LIKE 'http://%' OR url LIKE 'https://%'", name="url_is_http"
    )


class Document(Base):
    """An article or report claims were seen in, as a reader can find it again.

    `archive` is the curators' own reference (e.g. the file an article was copied to);
    users are shown the outlet, the headline (else the opening words), the date and the
    URL, whichever are known.
    """

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    headline: Mapped[str | None] = mapped_column(String(300))
    opening_words: Mapped[str | None] = mapped_column(String(300))
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    url: Mapped[str | None] = mapped_column(String(2000))
    archive: Mapped[str | None] = mapped_column(String(500))

    publisher: Mapped[Source | None] = relationship()

    __table_args__ = (
        CheckConstraint(
            "publisher_id IS NOT NULL OR headline IS NOT NULL OR opening_words IS NOT NULL "
            "OR url IS NOT NULL",
            name="identifiable",
        ),
        url_is_http(),
    )


class Appearance(Base):
    """Where a claim was reported, in the outlet's own wording."""

    __tablename__ = "appearances"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    via_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    # A free-text reference where the report is not a recorded document.
    document: Mapped[str | None] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str | None] = mapped_column(String(500))
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    wording: Mapped[str | None] = mapped_column(Text)
    # The figure as this report words it, where that differs from the claim's wording
    # ("some 400" where another report has "up to 400").
    figure_wording: Mapped[str | None] = mapped_column(String(200))

    claim: Mapped[Claim] = relationship(back_populates="appearances")
    publisher: Mapped[Source | None] = relationship(foreign_keys=[publisher_id])
    via: Mapped[Source | None] = relationship(foreign_keys=[via_id])
    source_document: Mapped[Document | None] = relationship()

    __table_args__ = (
        CheckConstraint(
            "publisher_id IS NOT NULL OR document IS NOT NULL OR url IS NOT NULL "
            "OR document_id IS NOT NULL",
            name="says_where",
        ),
        url_is_http(),
    )


class Assessment(Base):
    """One verification status a claim was given; append-only (trigger)."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    status: Mapped[VerificationStatus] = mapped_column(
        vocabulary(VerificationStatus, "verification_status")
    )
    rationale: Mapped[str | None] = mapped_column(Text)
    # The reason in a few words, shown beside the status on the card.
    reason: Mapped[str | None] = mapped_column(String(120))
    # Whose verdict or report the status rests on (a source's name), where not the moderators'.
    given_by: Mapped[str | None] = mapped_column(String(200))
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Keys of the recorded documents the rationale cites.
    documents: Mapped[list[str] | None] = mapped_column(JSON)
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    claim: Mapped[Claim] = relationship(back_populates="assessments")


class AuditEntry(Base):
    """One change to one row, with who made it and the row before and after; append-only."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.current_timestamp())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Rows changed by one moderator command share a batch, so /undo can revert them together.
    batch: Mapped[str] = mapped_column(String(40), index=True)

    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)


class Moderator(Base):
    __tablename__ = "moderators"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    role: Mapped[Role] = mapped_column(vocabulary(Role, "role"))
    granted_by: Mapped[int | None] = mapped_column(BigInteger)
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PendingChange(Base):
    """A previewed change waiting for its author's confirmation (the Save button).

    Kept in the database, not in a process, so any replica can complete it; confirming
    deletes the row in the transaction that applies the change, so it applies once.
    `payload` is the command's arguments as the preview pinned them ({"values": {...}}),
    or for /import the validated data set and the preview's summary.
    """

    __tablename__ = "pending_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    command: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class ModeratorForm(Base):
    """A moderator's half-filled guided form (`bot/moderation/forms.py`), one per moderator.

    Kept in the database, not in a process, so the next answer may reach any replica or a
    restarted process and carry on; `state` is the form's answers and what it asks next.
    """

    __tablename__ = "moderator_forms"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    command: Mapped[str] = mapped_column(String(40))
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class InboxUpdate(Base):
    """An update `claimbot run` took from Telegram by polling (`bot/tg/polling.py`).

    Telegram forgets an update once the next poll confirms it; stored here before that,
    it survives the process being killed before its handlers ran. `handled_at` is set
    when they finish, or in the very transaction of a data change they made, so that a
    restart neither drops an update nor applies its change twice. Handled rows are kept
    a day, as long as Telegram may send an unconfirmed update again, then pruned.
    """

    __tablename__ = "update_inbox"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    handled_at: Mapped[dt.datetime | None]


# ---------------------------------------------------------------- users in the loop (issue 15)


class AskedQuestion(Base):
    """One question a user asked, for the moderators' figures: no user id is kept."""

    __tablename__ = "asked_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    asked_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    chat_type: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))  # answer, ambiguous or no_match
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )


class TiplineItem(Base):
    """An entry of the moderators' inbox: a question the bot could not answer, or a tip.

    Near-identical questions share one item; `askers` counts the people who asked it,
    and stays when their ids go once the item is closed.
    """

    __tablename__ = "tipline_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # question or tip
    text: Mapped[str] = mapped_column(Text)
    folded: Mapped[str] = mapped_column(String(1000))
    origin: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    askers: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(200))


class TiplineAsker(Base):
    """Someone who asked an inbox item: the Telegram ids only while it is open (to tell
    them the answer), the keyed hash for the tip limit, /forget and the counts."""

    __tablename__ = "tipline_askers"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("tipline_items.id", ondelete="CASCADE"))
    user_hash: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(8))  # of the answer they will be sent
    asked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[dt.datetime | None]

    __table_args__ = (UniqueConstraint("item_id", "user_hash"),)


class AnswerFeedback(Base):
    """A user's 👍 or 👎 on an event's card, one per user and event, under a keyed hash."""

    __tablename__ = "answer_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_hash: Mapped[str] = mapped_column(String(64), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("asked_questions.id", ondelete="SET NULL")
    )
    vote: Mapped[str] = mapped_column(String(8))  # up or down
    reason: Mapped[str | None] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (UniqueConstraint("user_hash", "event_id"),)


class TiplineBlock(Base):
    """A user whose tips are refused until `until`, after a moderator marked one as spam."""

    __tablename__ = "tipline_blocks"

    user_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    until: Mapped[dt.datetime]


class TiplineState(Base):
    """One row: the key of the user-id hash (made by the migration, so every replica and
    restart shares it) and the row inbox writers lock so near-duplicates merge."""

    __tablename__ = "tipline_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hash_key: Mapped[str] = mapped_column(String(64))
    writes: Mapped[int] = mapped_column(Integer, default=0)


class ChatPreference(Base):
    """The language a chat chose for the bot's replies with /language: a user's own in a
    private chat (its id is the user's), a group's as set by one of its administrators."""

    __tablename__ = "chat_preferences"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Follow(Base):
    """A chat that follows an event: a user in private, or a group one of its admins signed up.

    Keyed by chat, not user, because the notification goes to the chat.
    """

    __tablename__ = "follows"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    followed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The language its notifications are written in: the follower's when they followed.
    language: Mapped[str] = mapped_column(String(3), default="en")


class MutedChat(Base):
    """A chat that asked (/mute) for no notifications at all; its follows are kept."""

    __tablename__ = "muted_chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    muted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """The outbox: one pending message about an event's changes (`db/outbox.py`).

    Written in the transaction of the first change that a reader would notice, holding
    the event's claims as readers saw them BEFORE it (`before`). Later changes within the
    quiet period find it and add nothing, so at `due_at` the difference between `before`
    and the claims then is what changed in all of them, and an undone change is no
    difference at all. `prepared_at` is set when that difference was rendered (`text`,
    None: nothing to say) and a delivery row written for every follower.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    due_at: Mapped[dt.datetime] = mapped_column(index=True)
    prepared_at: Mapped[dt.datetime | None]
    texts: Mapped[dict[str, str] | None] = mapped_column(JSON)


class Delivery(Base):
    """One notification to one chat: claimed for a while by one sender (`leased_until`),
    and `sent_at` recorded right after Telegram accepted it."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(3))
    leased_until: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None] = mapped_column(index=True)

    __table_args__ = (
        UniqueConstraint("notification_id", "chat_id", name="uq_deliveries_notification_chat"),
    )
