"""add the inbox

The inbox (processed_messages) holds the ids of the order events already handled, so a
redelivered OrderConfirmed or OrderCancelled is skipped. This service publishes nothing:
no outbox.

Revision ID: 6a2d206cb61d
Revises: 8c293fed3732
Create Date: 2026-11-22 02:45:51.264241
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6a2d206cb61d"
down_revision: str | None = "8c293fed3732"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
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


def downgrade() -> None:
    op.drop_table("processed_messages")
