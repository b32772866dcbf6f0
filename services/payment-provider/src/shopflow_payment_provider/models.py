"""The provider's ledger: every charge it answered, approved or declined, and every refund."""

import enum
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
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shopflow_kit import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()


class ChargeStatus(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Charge(Base):
    __tablename__ = "charges"
    __table_args__ = (
        # The ledger is searched by metadata (`order_id`) with JSONB containment.
        Index("ix_charges_metadata", "metadata", postgresql_using="gin"),
        CheckConstraint("amount_refunded BETWEEN 0 AND amount", name="refunds_within_amount"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # One charge per key, however often and however concurrently the request is sent.
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[ChargeStatus] = mapped_column(Enum(ChargeStatus, native_enum=False))
    amount: Mapped[int] = mapped_column(BigInteger)
    amount_refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    source: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(String(500))
    charge_metadata: Mapped[dict[str, str]] = mapped_column("metadata", JSONB, default=dict)
    decline_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    charge_id: Mapped[str] = mapped_column(ForeignKey("charges.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
