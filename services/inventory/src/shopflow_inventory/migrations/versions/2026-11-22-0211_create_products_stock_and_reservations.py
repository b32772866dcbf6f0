"""create products stock and reservations

Revision ID: 5e18442bc36f
Revises:
Create Date: 2026-11-22 02:11:41.398739
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e18442bc36f"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("sku", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("price > 0", name=op.f("ck_products_price_positive")),
        sa.PrimaryKeyConstraint("sku", name=op.f("pk_products")),
    )
    op.create_table(
        "reservations",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "RESERVED",
                "REJECTED",
                "RELEASED",
                "COMMITTED",
                name="reservationstatus",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "reason",
            sa.Enum("out_of_stock", "unknown_sku", name="rejectionreason", native_enum=False),
            nullable=True,
        ),
        sa.Column(
            "short_skus", sa.ARRAY(sa.String(length=32)), server_default="{}", nullable=False
        ),
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
        sa.CheckConstraint(
            "(status = 'REJECTED') = (reason IS NOT NULL)",
            name=op.f("ck_reservations_reason_iff_rejected"),
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_reservations")),
    )
    op.create_table(
        "reservation_lines",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_reservation_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["reservations.order_id"],
            name=op.f("fk_reservation_lines_order_id_reservations"),
        ),
        sa.PrimaryKeyConstraint("order_id", "sku", name=op.f("pk_reservation_lines")),
    )
    op.create_table(
        "stock_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("INITIAL_STOCK", "STOCK_SET", name="adjustmentkind", native_enum=False),
            nullable=False,
        ),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["sku"], ["products.sku"], name=op.f("fk_stock_adjustments_sku_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_adjustments")),
    )
    op.create_index(op.f("ix_stock_adjustments_sku"), "stock_adjustments", ["sku"], unique=False)
    op.create_table(
        "stock_levels",
        sa.Column("sku", sa.String(length=32), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("sold", sa.Integer(), nullable=False),
        sa.CheckConstraint("available >= 0", name=op.f("ck_stock_levels_available_not_negative")),
        sa.CheckConstraint("reserved >= 0", name=op.f("ck_stock_levels_reserved_not_negative")),
        sa.CheckConstraint("sold >= 0", name=op.f("ck_stock_levels_sold_not_negative")),
        sa.ForeignKeyConstraint(
            ["sku"], ["products.sku"], name=op.f("fk_stock_levels_sku_products")
        ),
        sa.PrimaryKeyConstraint("sku", name=op.f("pk_stock_levels")),
    )


def downgrade() -> None:
    op.drop_table("stock_levels")
    op.drop_index(op.f("ix_stock_adjustments_sku"), table_name="stock_adjustments")
    op.drop_table("stock_adjustments")
    op.drop_table("reservation_lines")
    op.drop_table("reservations")
    op.drop_table("products")
