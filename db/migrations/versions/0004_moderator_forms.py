"""moderator forms: half-filled guided forms, so any replica or a restart can continue them

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 14:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "moderator_forms",
        sa.Column("telegram_user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("command", sa.String(length=40), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("telegram_user_id", name=op.f("pk_moderator_forms")),
    )
    with op.batch_alter_table("moderator_forms", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderator_forms_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("moderator_forms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderator_forms_expires_at"))

    op.drop_table("moderator_forms")
