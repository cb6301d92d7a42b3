"""translations: events' titles, summaries and notes on dates, and claims' summaries, in
other languages than English

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=3), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("date_note", sa.String(length=500), nullable=True),
        sa.CheckConstraint("lang <> 'en'", name=op.f("ck_event_translations_not_english")),
        sa.CheckConstraint(
            "title IS NOT NULL OR summary IS NOT NULL OR date_note IS NOT NULL",
            name=op.f("ck_event_translations_says_something"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_translations_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_translations")),
        sa.UniqueConstraint("event_id", "lang", name="uq_event_translations_event_lang"),
    )
    op.create_table(
        "claim_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=3), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.CheckConstraint("lang <> 'en'", name=op.f("ck_claim_translations_not_english")),
        sa.CheckConstraint(
            "length(trim(summary)) > 0", name=op.f("ck_claim_translations_summary_not_blank")
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
            name=op.f("fk_claim_translations_claim_id_claims"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_translations")),
        sa.UniqueConstraint("claim_id", "lang", name="uq_claim_translations_claim_lang"),
    )


def downgrade() -> None:
    op.drop_table("claim_translations")
    op.drop_table("event_translations")
