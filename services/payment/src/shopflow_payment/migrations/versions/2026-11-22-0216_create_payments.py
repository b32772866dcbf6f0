"""create payments

Revision ID: a1e9b13c4eb6
Revises:
Create Date: 2026-11-22 02:16:03.451685
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1e9b13c4eb6"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "CHARGED", "DECLINED", "REFUNDED", "FAILED", name="paymentstatus", native_enum=False
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("payment_method", sa.String(length=64), nullable=True),
        sa.Column("provider_charge_id", sa.String(length=64), nullable=True),
        sa.Column("provider_refund_id", sa.String(length=64), nullable=True),
        sa.Column("decline_reason", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("order_id", name=op.f("uq_payments_order_id")),
    )


def downgrade() -> None:
    op.drop_table("payments")
