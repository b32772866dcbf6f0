"""What the service owns: one row per notification sent, and the inbox of the events it handled."""

import enum
import uuid
from datetime import datetime

from sqlalchemy import DateTime, Enum, String, Text, UniqueConstraint, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shopflow_kit import service_metadata
from shopflow_kit.messaging import INBOX


class Base(DeclarativeBase):
    metadata = service_metadata()


INBOX.declare(Base.metadata)  # `processed_messages`; no outbox: it publishes nothing


class NotificationKind(enum.StrEnum):
    ORDER_CONFIRMED = "ORDER_CONFIRMED"
    ORDER_CANCELLED = "ORDER_CANCELLED"


class Notification(Base):
    __tablename__ = "notifications"
    # One notification of each kind per order, however often the event is delivered.
    __table_args__ = (UniqueConstraint("order_id", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[NotificationKind] = mapped_column(Enum(NotificationKind, native_enum=False))
    recipient: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
