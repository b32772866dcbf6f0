"""Keyset pagination of a customer's orders, newest first: the cursor is the last order seen."""

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from shopflow_kit import DomainError, ProblemType
from shopflow_order.models import Order


class InvalidCursorError(DomainError):
    """A `before` value this service did not hand out."""

    problem = ProblemType(400, "invalid-cursor", "Invalid cursor")


@dataclass(frozen=True)
class OrderCursor:
    """A position in the (created_at, id) order; opaque to clients."""

    created_at: datetime
    id: uuid.UUID

    @classmethod
    def after(cls, order: Order) -> "OrderCursor":
        return cls(order.created_at, order.id)

    def encode(self) -> str:
        position = f"{self.created_at.isoformat()}|{self.id}"
        return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "OrderCursor":
        try:
            padded = token + "=" * (-len(token) % 4)
            created_at, order_id = base64.urlsafe_b64decode(padded).decode().split("|")
            cursor = cls(datetime.fromisoformat(created_at), uuid.UUID(order_id))
            if cursor.created_at.tzinfo is None:
                raise ValueError("a time without its offset")
            # In UTC, as the database compares it: 0001-01-01T00:00+01:00 is before year 1.
            cursor.created_at.astimezone(UTC)
        except (ValueError, OverflowError) as error:  # binascii.Error, UnicodeDecodeError too
            raise InvalidCursorError(f"not a cursor from this API: {token!r}") from error
        return cursor
