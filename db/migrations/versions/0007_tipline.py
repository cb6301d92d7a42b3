"""users in the loop: questions asked, the moderators' inbox and its askers, feedback on
answers, spam blocks, and the key of the user-id hash

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 21:00:00.000000
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "asked_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asked_at", TIMESTAMP, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("chat_type", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_asked_questions_event_id_events"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asked_questions")),
    )
    op.create_index(op.f("ix_asked_questions_asked_at"), "asked_questions", ["asked_at"])
    op.create_index(op.f("ix_asked_questions_event_id"), "asked_questions", ["event_id"])
    op.create_table(
        "tipline_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("folded", sa.String(length=1000), nullable=False),
        sa.Column("origin", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("askers", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("closed_at", TIMESTAMP, nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_tipline_items_event_id_events"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tipline_items")),
    )
    op.create_index(op.f("ix_tipline_items_status"), "tipline_items", ["status"])
    op.create_index(op.f("ix_tipline_items_created_at"), "tipline_items", ["created_at"])
    op.create_index(op.f("ix_tipline_items_closed_at"), "tipline_items", ["closed_at"])
    op.create_table(
        "tipline_askers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("user_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("asked_at", TIMESTAMP, nullable=False),
        sa.Column("notified_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["tipline_items.id"],
            name=op.f("fk_tipline_askers_item_id_tipline_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tipline_askers")),
        sa.UniqueConstraint("item_id", "user_hash", name=op.f("uq_tipline_askers_item_id")),
    )
    op.create_index(op.f("ix_tipline_askers_user_hash"), "tipline_askers", ["user_hash"])
    op.create_table(
        "answer_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_hash", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("vote", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=True),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_answer_feedback_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["asked_questions.id"],
            name=op.f("fk_answer_feedback_question_id_asked_questions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_feedback")),
        sa.UniqueConstraint("user_hash", "event_id", name=op.f("uq_answer_feedback_user_hash")),
    )
    op.create_index(op.f("ix_answer_feedback_user_hash"), "answer_feedback", ["user_hash"])
    op.create_index(op.f("ix_answer_feedback_at"), "answer_feedback", ["at"])
    op.create_table(
        "tipline_blocks",
        sa.Column("user_hash", sa.String(length=64), nullable=False),
        sa.Column("until", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("user_hash", name=op.f("pk_tipline_blocks")),
    )
    state = op.create_table(
        "tipline_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hash_key", sa.String(length=64), nullable=False),
        sa.Column("writes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tipline_state")),
    )
    # Made once, here, so every replica and every restart hashes user ids alike.
    op.bulk_insert(state, [{"id": 1, "hash_key": secrets.token_hex(32), "writes": 0}])


def downgrade() -> None:
    op.drop_table("tipline_state")
    op.drop_table("tipline_blocks")
    op.drop_table("answer_feedback")
    op.drop_table("tipline_askers")
    op.drop_table("tipline_items")
    op.drop_table("asked_questions")
