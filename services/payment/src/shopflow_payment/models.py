"""What the service owns: one payment per order, and how it ended."""

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Enum, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shopflow_kit import service_metadata
from shopflow_kit.messaging import INBOX, OUTBOX


class Base(DeclarativeBase):
    metadata = service_metadata()


# The outbox (replies waiting for the relay) and the inbox (commands already handled).
OUTBOX.declare(Base.metadata)
INBOX.declare(Base.metadata)


class PaymentStatus(enum.StrEnum):
    CHARGED = "CHARGED"  # the provider took the money
    DECLINED = "DECLINED"  # the provider's card check said no
    REFUNDED = "REFUNDED"  # taken, then given back in full
    FAILED = "FAILED"  # no money taken and none will be: see the README


class Payment(Base):
    __tablename__ = "payments"
    # Timestamps the database sets come back with each write: no lazy load to await later.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # One payment per order, however often or concurrently ChargePayment is delivered.
    order_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    status: Mapped[PaymentStatus] = mapped_column(Enum(PaymentStatus, native_enum=False))
    # Unknown only for an order cancelled before any charge was asked for.
    amount: Mapped[int | None] = mapped_column(BigInteger)  # minor units of `currency`
    currency: Mapped[str | None] = mapped_column(String(3))
    payment_method: Mapped[str | None] = mapped_column(String(64))
    provider_charge_id: Mapped[str | None] = mapped_column(String(64))
    provider_refund_id: Mapped[str | None] = mapped_column(String(64))
    decline_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
