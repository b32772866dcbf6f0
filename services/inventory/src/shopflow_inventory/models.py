"""What the service owns: products, their stock levels, the stock ledger and reservations.

Per product, every unit is in exactly one place: `available`, `reserved` (held for an
order) or `sold`. Only an admin changes how many units exist, and each such change is a
row of the ledger (`stock_adjustments`), so stocked = available + reserved + sold.
"""

import enum
import uuid
from datetime import datetime

from sqlalchemy import ARRAY, CheckConstraint, DateTime, Enum, ForeignKey, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shopflow_kit import service_metadata
from shopflow_kit.messaging import INBOX, OUTBOX


class Base(DeclarativeBase):
    metadata = service_metadata()


# The outbox (replies waiting for the relay) and the inbox (commands already handled).
OUTBOX.declare(Base.metadata)
INBOX.declare(Base.metadata)


class ReservationStatus(enum.StrEnum):
    RESERVED = "RESERVED"
    REJECTED = "REJECTED"
    RELEASED = "RELEASED"
    COMMITTED = "COMMITTED"


class RejectionReason(enum.StrEnum):
    OUT_OF_STOCK = "out_of_stock"
    UNKNOWN_SKU = "unknown_sku"


class AdjustmentKind(enum.StrEnum):
    INITIAL_STOCK = "INITIAL_STOCK"
    STOCK_SET = "STOCK_SET"


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (CheckConstraint("price > 0", name="price_positive"),)

    sku: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    price: Mapped[int]  # minor units of `currency`
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class StockLevel(Base):
    """A product's units by where they are; a row apart from the product because it is hot."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        CheckConstraint("available >= 0", name="available_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("sold >= 0", name="sold_not_negative"),
    )

    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"), primary_key=True)
    available: Mapped[int]
    reserved: Mapped[int] = mapped_column(default=0)
    sold: Mapped[int] = mapped_column(default=0)


class StockAdjustment(Base):
    """The ledger: one row per admin change to how many units of a product exist."""

    __tablename__ = "stock_adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"), index=True)
    kind: Mapped[AdjustmentKind] = mapped_column(Enum(AdjustmentKind, native_enum=False))
    delta: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Reservation(Base):
    """The outcome of reserving stock for one order; the primary key makes it once per order."""

    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("(status = 'REJECTED') = (reason IS NOT NULL)", name="reason_iff_rejected"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status: Mapped[ReservationStatus] = mapped_column(Enum(ReservationStatus, native_enum=False))
    # Stored as the values messages carry ("out_of_stock"), not as the member names.
    reason: Mapped[RejectionReason | None] = mapped_column(
        Enum(
            RejectionReason, native_enum=False, values_callable=lambda kind: [r.value for r in kind]
        )
    )
    short_skus: Mapped[list[str]] = mapped_column(ARRAY(String(32)), server_default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    lines: Mapped[list["ReservationLine"]] = relationship(
        order_by="ReservationLine.sku", lazy="selectin"
    )


class ReservationLine(Base):
    """A requested line, kept even when its sku is unknown, so a rejection can be explained."""

    __tablename__ = "reservation_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservations.order_id"), primary_key=True
    )
    sku: Mapped[str] = mapped_column(String(32), primary_key=True)
    quantity: Mapped[int]
