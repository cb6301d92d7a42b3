"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 02:04:46.832176
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The verification history and the audit log are records of what happened: never rewritten.
APPEND_ONLY_TABLES = ("assessments", "audit_log")


def forbid_update_and_delete(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE OR REPLACE FUNCTION claimbot_forbid_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
            END
            $$
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION claimbot_forbid_change()"
        )
        return
    for change in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only_{change.lower()} BEFORE {change} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )


def allow_update_and_delete(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS claimbot_forbid_change() CASCADE")
        return
    for change in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only_{change}")


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("batch", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_batch"), ["batch"], unique=False)
        batch_op.create_index("ix_audit_log_entity", ["entity", "entity_id"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=200), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column(
            "date_precision",
            sa.Enum(
                "day",
                "month",
                "year",
                name="date_precision",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("date_note", sa.String(length=500), nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "length(slug) > 0 AND slug NOT LIKE '% %' AND slug NOT LIKE '-%' AND slug NOT LIKE '%-'",
            name=op.f("ck_events_slug_shape"),
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name=op.f("ck_events_end_after_start")
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR start_date IS NOT NULL", name=op.f("ck_events_end_needs_start")
        ),
        sa.CheckConstraint("slug = lower(slug)", name=op.f("ck_events_slug_lowercase")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("slug", name=op.f("uq_events_slug")),
    )
    op.create_table(
        "moderators",
        sa.Column("telegram_user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column(
            "role",
            sa.Enum("admin", "moderator", name="role", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("granted_by", sa.BigInteger(), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("telegram_user_id", name=op.f("pk_moderators")),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "government",
                "armed_forces",
                "official",
                "news_outlet",
                "monitor",
                "blogger",
                "individual",
                name="source_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "side",
            sa.Enum(
                "russia",
                "ukraine",
                "pro_russia",
                "pro_ukraine",
                "third_party",
                "independent",
                "unknown",
                name="side",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("country", sa.String(length=200), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(trim(name)) > 0", name=op.f("ck_sources_name_not_blank")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_sources_name")),
    )
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("claimant_id", sa.Integer(), nullable=False),
        sa.Column(
            "metric",
            sa.Enum(
                "killed",
                "wounded",
                "killed_or_wounded",
                "present",
                "munitions_fired",
                "munitions_destroyed",
                "mobilised",
                "damage",
                "other",
                name="metric",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column(
            "qualifier",
            sa.Enum(
                "exact",
                "approx",
                "at_least",
                "more_than",
                "up_to",
                "range",
                "vague",
                "none",
                name="qualifier",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("low", sa.BigInteger(), nullable=True),
        sa.Column("high", sa.BigInteger(), nullable=True),
        sa.Column("wording", sa.String(length=500), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("stated_on", sa.Date(), nullable=True),
        sa.Column(
            "basis",
            sa.Enum(
                "official_statement",
                "on_site_reporting",
                "estimate",
                "intelligence",
                "social_media",
                "analysis",
                "unknown",
                name="basis",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column(
            "lifecycle",
            sa.Enum(
                "current",
                "superseded",
                "retracted",
                name="lifecycle",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "unverified",
                "disputed",
                "corroborated",
                "confirmed",
                "inconclusive",
                "misleading",
                "false",
                name="verification_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "\n(qualifier IS NULL AND low IS NULL AND high IS NULL AND wording IS NULL)\nOR (qualifier IN ('exact', 'approx') AND low IS NOT NULL AND high = low)\nOR (qualifier IN ('at_least', 'more_than') AND low IS NOT NULL AND high IS NULL)\nOR (qualifier = 'up_to' AND low IS NULL AND high IS NOT NULL)\nOR (qualifier = 'range' AND low IS NOT NULL AND high IS NOT NULL AND low < high)\nOR (qualifier = 'vague' AND low IS NULL AND high IS NULL)\nOR (qualifier = 'none' AND low = 0 AND high = 0)\n",
            name=op.f("ck_claims_figure_fits_qualifier"),
        ),
        sa.CheckConstraint("high IS NULL OR high >= 0", name=op.f("ck_claims_high_not_negative")),
        sa.CheckConstraint("length(trim(quote)) > 0", name=op.f("ck_claims_quote_not_blank")),
        sa.CheckConstraint("low IS NULL OR low >= 0", name=op.f("ck_claims_low_not_negative")),
        sa.CheckConstraint(
            "supersedes_id IS NULL OR supersedes_id <> id",
            name=op.f("ck_claims_not_self_superseding"),
        ),
        sa.ForeignKeyConstraint(
            ["claimant_id"], ["sources.id"], name=op.f("fk_claims_claimant_id_sources")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_claims_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["claims.id"], name=op.f("fk_claims_supersedes_id_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("key", name=op.f("uq_claims_key")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_claimant_id"), ["claimant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_event_id"), ["event_id"], unique=False)

    op.create_table(
        "event_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("lang", sa.String(length=3), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "name",
                "transliteration",
                "keyword",
                name="alias_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("length(trim(text)) > 0", name=op.f("ck_event_aliases_text_not_blank")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_aliases_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_aliases")),
        sa.UniqueConstraint("event_id", "text", name="uq_event_aliases_event_text"),
    )
    with op.batch_alter_table("event_aliases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_aliases_event_id"), ["event_id"], unique=False)

    op.create_table(
        "event_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("related_event_id", sa.Integer(), nullable=False),
        sa.Column(
            "relation",
            sa.Enum(
                "presented_as_retaliation_for",
                "follows",
                "related",
                name="relation",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.CheckConstraint("event_id <> related_event_id", name=op.f("ck_event_links_not_self")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_links_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["related_event_id"],
            ["events.id"],
            name=op.f("fk_event_links_related_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_links")),
        sa.UniqueConstraint(
            "event_id", "related_event_id", "relation", name="uq_event_links_pair_relation"
        ),
    )
    with op.batch_alter_table("event_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_links_event_id"), ["event_id"], unique=False)

    op.create_table(
        "appearances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("publisher_id", sa.Integer(), nullable=True),
        sa.Column("via_id", sa.Integer(), nullable=True),
        sa.Column("document", sa.String(length=500), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("wording", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "url IS NULL OR url LIKE 'http://%' OR url LIKE 'https://%'",
            name=op.f("ck_appearances_url_is_http"),
        ),
        sa.CheckConstraint(
            "publisher_id IS NOT NULL OR document IS NOT NULL OR url IS NOT NULL",
            name=op.f("ck_appearances_says_where"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
            name=op.f("fk_appearances_claim_id_claims"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["publisher_id"], ["sources.id"], name=op.f("fk_appearances_publisher_id_sources")
        ),
        sa.ForeignKeyConstraint(
            ["via_id"], ["sources.id"], name=op.f("fk_appearances_via_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appearances")),
    )
    with op.batch_alter_table("appearances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appearances_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "unverified",
                "disputed",
                "corroborated",
                "confirmed",
                "inconclusive",
                "misleading",
                "false",
                name="verification_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_assessments_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessments_claim_id"), ["claim_id"], unique=False)

    for table in APPEND_ONLY_TABLES:
        forbid_update_and_delete(table)


def downgrade() -> None:
    for table in APPEND_ONLY_TABLES:
        allow_update_and_delete(table)
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessments_claim_id"))

    op.drop_table("assessments")
    with op.batch_alter_table("appearances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appearances_claim_id"))

    op.drop_table("appearances")
    with op.batch_alter_table("event_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_links_event_id"))

    op.drop_table("event_links")
    with op.batch_alter_table("event_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_aliases_event_id"))

    op.drop_table("event_aliases")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_event_id"))
        batch_op.drop_index(batch_op.f("ix_claims_claimant_id"))

    op.drop_table("claims")
    op.drop_table("sources")
    op.drop_table("moderators")
    op.drop_table("events")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_entity")
        batch_op.drop_index(batch_op.f("ix_audit_log_batch"))

    op.drop_table("audit_log")
