"""The claims database: SQLAlchemy 2.0 typed models.

Rules that keep the data honest live in the database as constraints, not only
in Python: vocabularies are CHECKed, figures must fit their qualifier, an
appearance must say where it was seen, and the assessment history and audit
log are append-only (triggers, see the migrations).
"""

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db import tables
from db.tables import UTCDateTime, utcnow, vocabulary
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

__all__ = ["utcnow"]  # where the models' users take it from


class Base(DeclarativeBase):
    metadata = tables.METADATA
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime}


# The tables answering reads are declared in `db.tables`, in Core; their classes map onto
# them, with the columns' types for type checking only.


class Source(Base):
    """Anyone who makes a claim (claimant) or reports one (publisher)."""

    __table__ = tables.SOURCES

    id: Mapped[int]
    name: Mapped[str]
    kind: Mapped[SourceKind]
    side: Mapped[Side]
    country: Mapped[str | None]
    description: Mapped[str | None]
    short_name: Mapped[str | None]
    version: Mapped[int]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    __mapper_args__ = {"version_id_col": tables.SOURCES.c.version}  # noqa: RUF012


class Event(Base):
    __table__ = tables.EVENTS

    id: Mapped[int]
    slug: Mapped[str]
    title: Mapped[str]
    summary: Mapped[str]
    place: Mapped[str]
    region: Mapped[str | None]
    country: Mapped[str | None]
    start_date: Mapped[dt.date | None]
    end_date: Mapped[dt.date | None]
    date_precision: Mapped[DatePrecision]
    date_note: Mapped[str | None]
    place_precision: Mapped[PlacePrecision]
    hidden: Mapped[bool]
    version: Mapped[int]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

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

    __mapper_args__ = {"version_id_col": tables.EVENTS.c.version}  # noqa: RUF012


class EventAlias(Base):
    __table__ = tables.ALIASES

    id: Mapped[int]
    event_id: Mapped[int]
    text: Mapped[str]
    lang: Mapped[str | None]
    kind: Mapped[AliasKind]

    event: Mapped[Event] = relationship(back_populates="aliases")


class EventTranslation(Base):
    __table__ = tables.EVENT_TRANSLATIONS

    id: Mapped[int]
    event_id: Mapped[int]
    lang: Mapped[str]
    title: Mapped[str | None]
    summary: Mapped[str | None]
    date_note: Mapped[str | None]

    event: Mapped[Event] = relationship(back_populates="translations")


class EventLink(Base):
    __table__ = tables.LINKS

    id: Mapped[int]
    event_id: Mapped[int]
    related_event_id: Mapped[int]
    relation: Mapped[Relation]
    note: Mapped[str | None]

    event: Mapped[Event] = relationship(
        foreign_keys=[tables.LINKS.c.event_id], back_populates="links"
    )
    related_event: Mapped[Event] = relationship(foreign_keys=[tables.LINKS.c.related_event_id])


class Claim(Base):
    __table__ = tables.CLAIMS

    id: Mapped[int]
    key: Mapped[str]
    event_id: Mapped[int]
    claimant_id: Mapped[int]
    metric: Mapped[Metric]
    subject: Mapped[str | None]
    qualifier: Mapped[Qualifier | None]
    low: Mapped[int | None]
    high: Mapped[int | None]
    wording: Mapped[str | None]
    summary: Mapped[str]
    quote: Mapped[str]
    stated_on: Mapped[dt.date | None]
    basis: Mapped[Basis]
    supersedes_id: Mapped[int | None]
    lifecycle: Mapped[Lifecycle]
    status: Mapped[VerificationStatus]
    hidden: Mapped[bool]
    version: Mapped[int]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    event: Mapped[Event] = relationship(back_populates="claims")
    claimant: Mapped[Source] = relationship()
    supersedes: Mapped["Claim | None"] = relationship(remote_side=[tables.CLAIMS.c.id])
    appearances: Mapped[list["Appearance"]] = relationship(
        back_populates="claim", cascade="all, delete-orphan", order_by="Appearance.id"
    )
    assessments: Mapped[list["Assessment"]] = relationship(
        back_populates="claim", order_by="Assessment.id"
    )
    translations: Mapped[list["ClaimTranslation"]] = relationship(
        back_populates="claim", cascade="all, delete-orphan", order_by="ClaimTranslation.lang"
    )

    __mapper_args__ = {"version_id_col": tables.CLAIMS.c.version}  # noqa: RUF012


class ClaimTranslation(Base):
    __table__ = tables.CLAIM_TRANSLATIONS

    id: Mapped[int]
    claim_id: Mapped[int]
    lang: Mapped[str]
    summary: Mapped[str]

    claim: Mapped[Claim] = relationship(back_populates="translations")


class Document(Base):
    __table__ = tables.DOCUMENTS

    id: Mapped[int]
    key: Mapped[str]
    publisher_id: Mapped[int | None]
    headline: Mapped[str | None]
    opening_words: Mapped[str | None]
    published_on: Mapped[dt.date | None]
    url: Mapped[str | None]
    archive: Mapped[str | None]

    publisher: Mapped[Source | None] = relationship()


class Appearance(Base):
    __table__ = tables.APPEARANCES

    id: Mapped[int]
    claim_id: Mapped[int]
    publisher_id: Mapped[int | None]
    via_id: Mapped[int | None]
    document_id: Mapped[int | None]
    document: Mapped[str | None]
    url: Mapped[str | None]
    title: Mapped[str | None]
    published_on: Mapped[dt.date | None]
    wording: Mapped[str | None]
    figure_wording: Mapped[str | None]

    claim: Mapped[Claim] = relationship(back_populates="appearances")
    publisher: Mapped[Source | None] = relationship(
        foreign_keys=[tables.APPEARANCES.c.publisher_id]
    )
    via: Mapped[Source | None] = relationship(foreign_keys=[tables.APPEARANCES.c.via_id])
    source_document: Mapped[Document | None] = relationship()


class Assessment(Base):
    __table__ = tables.ASSESSMENTS

    id: Mapped[int]
    claim_id: Mapped[int]
    status: Mapped[VerificationStatus]
    rationale: Mapped[str | None]
    reason: Mapped[str | None]
    given_by: Mapped[str | None]
    evidence: Mapped[list[str]]
    documents: Mapped[list[str] | None]
    set_by: Mapped[str]
    set_at: Mapped[dt.datetime]

    claim: Mapped[Claim] = relationship(back_populates="assessments")


class AuditEntry(Base):
    __table__ = tables.AUDIT_LOG

    id: Mapped[int]
    at: Mapped[dt.datetime]
    actor: Mapped[str]
    action: Mapped[str]
    entity: Mapped[str]
    entity_id: Mapped[int | None]
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    batch: Mapped[str]


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
