"""What the service owns: orders, their lines, the idempotency keys that placed them, and
(from the kit) the place-order sagas and the outbox and inbox of its messages."""

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    String,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shopflow_kit import service_metadata
from shopflow_kit.messaging import INBOX, OUTBOX
from shopflow_kit.saga import SAGA_HISTORY, SAGAS


class Base(DeclarativeBase):
    metadata = service_metadata()


# One saga per order, keyed by its id, with its history; the outbox for the saga's commands
# and the order's events; the inbox (`processed_messages`) for the replies.
SAGAS.declare(Base.metadata)
SAGA_HISTORY.declare(Base.metadata)
OUTBOX.declare(Base.metadata)
INBOX.declare(Base.metadata)


class OrderStatus(enum.StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


class CancellationReason(enum.StrEnum):
    OUT_OF_STOCK = "out_of_stock"
    PAYMENT_DECLINED = "payment_declined"
    CANCELLED_BY_CUSTOMER = "cancelled_by_customer"
    TIMED_OUT = "timed_out"


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        # A cancelled order always says why, and only a cancelled one has a reason.
        CheckConstraint(
            "(status = 'CANCELLED') = (cancellation_reason IS NOT NULL)",
            name="reason_iff_cancelled",
        ),
        CheckConstraint("total >= 0", name="total_not_negative"),
        # Serves "my orders, newest first" as an index range scan (keyset pagination).
        Index("ix_orders_customer_id_created_at_id", "customer_id", "created_at", "id"),
    )
    # Read back the server-set timestamps on insert and update: no lazy load under asyncio.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012 - declarative API

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[OrderStatus] = mapped_column(Enum(OrderStatus, native_enum=False))
    # Stored as the API spells it (`out_of_stock`), not by member name.
    cancellation_reason: Mapped[CancellationReason | None] = mapped_column(
        Enum(CancellationReason, native_enum=False, values_callable=lambda e: [r.value for r in e])
    )
    total: Mapped[int] = mapped_column(BigInteger)  # minor units of `currency`
    currency: Mapped[str] = mapped_column(String(3))
    payment_method: Mapped[str] = mapped_column(String(64))  # a provider token, never echoed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    lines: Mapped[list["OrderLine"]] = relationship(
        lazy="selectin", order_by="OrderLine.sku", cascade="all, delete-orphan"
    )


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("line_total = unit_price * quantity", name="line_total_adds_up"),
    )

    # One line per sku: the primary key enforces what the API validates.
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]
    unit_price: Mapped[int] = mapped_column(BigInteger)
    line_total: Mapped[int] = mapped_column(BigInteger)


class IdempotencyKey(Base):
    """A customer's `Idempotency-Key`, the request it came with and the order it placed."""

    __tablename__ = "idempotency_keys"

    customer_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the canonical request
    # Deferred: the key is claimed before its order is written, so a losing racer writes nothing.
    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("orders.id", deferrable=True, initially="DEFERRED"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
