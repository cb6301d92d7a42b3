"""documents, per-report figure wording, short source names, assessment reasons and
how exactly an event's place is known

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_SAYS_WHERE = "publisher_id IS NOT NULL OR document IS NOT NULL OR url IS NOT NULL"
NEW_SAYS_WHERE = OLD_SAYS_WHERE + " OR document_id IS NOT NULL"


PLACE_PRECISIONS = ("exact", "near", "region", "country", "unknown")


def add_place_precision() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its CHECK in one statement; Alembic would drop the CHECK
        # (it adds constraints separately), and copying `events` would break references.
        allowed = ", ".join(f"'{value}'" for value in PLACE_PRECISIONS)
        op.execute(
            "ALTER TABLE events ADD COLUMN place_precision VARCHAR(7) DEFAULT 'unknown' NOT NULL "
            f"CONSTRAINT ck_events_place_precision CHECK (place_precision IN ({allowed}))"
        )
        return
    op.add_column(
        "events",
        sa.Column(
            "place_precision",
            sa.Enum(
                *PLACE_PRECISIONS,
                name="place_precision",
                native_enum=False,
                create_constraint=True,
                length=7,
            ),
            server_default="unknown",
            nullable=False,
        ),
    )


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("publisher_id", sa.Integer(), nullable=True),
        sa.Column("headline", sa.String(length=300), nullable=True),
        sa.Column("opening_words", sa.String(length=300), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("archive", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "publisher_id IS NOT NULL OR headline IS NOT NULL OR opening_words IS NOT NULL "
            "OR url IS NOT NULL",
            name=op.f("ck_documents_identifiable"),
        ),
        sa.CheckConstraint(
            "url IS NULL OR url LIKE 'http://%' OR url LIKE 'https://%'",
            name=op.f("ck_documents_url_is_http"),
        ),
        sa.ForeignKeyConstraint(
            ["publisher_id"], ["sources.id"], name=op.f("fk_documents_publisher_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("key", name=op.f("uq_documents_key")),
    )
    op.add_column("sources", sa.Column("short_name", sa.String(length=40), nullable=True))
    add_place_precision()
    # Plain column additions keep the assessments table, and its append-only triggers, as is.
    op.add_column("assessments", sa.Column("reason", sa.String(length=120), nullable=True))
    op.add_column("assessments", sa.Column("given_by", sa.String(length=200), nullable=True))
    op.add_column("assessments", sa.Column("documents", sa.JSON(), nullable=True))
    with op.batch_alter_table("appearances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("figure_wording", sa.String(length=200), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_appearances_document_id_documents"), "documents", ["document_id"], ["id"]
        )
        batch_op.drop_constraint(batch_op.f("ck_appearances_says_where"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_appearances_says_where"), NEW_SAYS_WHERE)


def downgrade() -> None:
    with op.batch_alter_table("appearances", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_appearances_says_where"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_appearances_says_where"), OLD_SAYS_WHERE)
        batch_op.drop_constraint(
            batch_op.f("fk_appearances_document_id_documents"), type_="foreignkey"
        )
        batch_op.drop_column("figure_wording")
        batch_op.drop_column("document_id")
    op.drop_column("assessments", "documents")
    op.drop_column("assessments", "given_by")
    op.drop_column("assessments", "reason")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("place_precision")  # SQLite drops a column by copying the table
    op.drop_column("sources", "short_name")
    op.drop_table("documents")
