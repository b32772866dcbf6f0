"""Add the place-order sagas, their history, the outbox and the inbox.

`sagas` holds one saga per order (its id is the order's), its step, what it awaits and
its deadline; `saga_history` what happened, for GET /orders/{id}. The outbox holds the
saga's commands and OrderConfirmed/OrderCancelled until the relay has published them;
the inbox (processed_messages) the ids of the replies already handled.

Revision ID: 0ace30fd8a75
Revises: 16e1f5e13330
Create Date: 2026-11-22 02:44:51.767087
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0ace30fd8a75"
down_revision: str | None = "16e1f5e13330"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("envelope", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("trace_context", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(
        "ix_outbox_published_at",
        "outbox",
        ["published_at"],
        unique=False,
        postgresql_where=sa.text("published_at IS NOT NULL"),
    )
    op.create_index(
        "ix_outbox_unpublished_key",
        "outbox",
        ["key", "seq"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_index(
        "ix_outbox_unpublished_seq",
        "outbox",
        ["seq"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "processed_messages",
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("message_type", sa.Text(), nullable=False),
        sa.Column("consumer_group", sa.Text(), nullable=False),
        sa.Column("kafka_topic", sa.Text(), nullable=False),
        sa.Column("kafka_partition", sa.Integer(), nullable=False),
        sa.Column("kafka_offset", sa.BigInteger(), nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_processed_messages")),
    )
    op.create_table(
        "saga_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("saga_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step", sa.String(length=50), nullable=False),
        sa.Column("event", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saga_history")),
    )
    op.create_index(op.f("ix_saga_history_saga_id"), "saga_history", ["saga_id"], unique=False)
    op.create_table(
        "sagas",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("definition", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("awaiting", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=50), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sagas")),
    )
    op.create_index(op.f("ix_sagas_deadline_at"), "sagas", ["deadline_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sagas_deadline_at"), table_name="sagas")
    op.drop_table("sagas")
    op.drop_index(op.f("ix_saga_history_saga_id"), table_name="saga_history")
    op.drop_table("saga_history")
    op.drop_table("processed_messages")
    op.drop_index(
        "ix_outbox_unpublished_seq",
        table_name="outbox",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_index(
        "ix_outbox_unpublished_key",
        table_name="outbox",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_index(
        "ix_outbox_published_at",
        table_name="outbox",
        postgresql_where=sa.text("published_at IS NOT NULL"),
    )
    op.drop_table("outbox")
