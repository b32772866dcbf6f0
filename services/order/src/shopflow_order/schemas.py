"""The HTTP API's bodies, with the limits enforced at the edge."""

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Row

from shopflow_kit.saga import SagaEvent
from shopflow_order.models import CancellationReason, Order, OrderStatus

# Inventory's sku format: anything else could never name a product.
Sku = Annotated[str, Field(pattern=r"^[A-Z0-9-]{3,32}$", examples=["MUG-001"])]


class OrderItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    quantity: int = Field(ge=1, le=100)


class OrderCreate(BaseModel):
    """What a customer orders; prices come from inventory, never from the client."""

    model_config = ConfigDict(extra="forbid")

    items: list[OrderItem] = Field(min_length=1, max_length=50)
    payment_method: str = Field(
        max_length=64,
        pattern=r"^[A-Za-z0-9_]+$",
        description="A payment provider token, e.g. `tok_visa`: stored for the charge",
        examples=["tok_visa"],
    )

    @field_validator("items")
    @classmethod
    def _one_item_per_sku(cls, items: list[OrderItem]) -> list[OrderItem]:
        # Rejected, not merged: a repeated sku is a client bug, and a sum could pass the limit.
        counts = Counter(item.sku for item in items)
        repeated = sorted(sku for sku, count in counts.items() if count > 1)
        if repeated:
            raise ValueError(f"each sku may appear once; repeated: {', '.join(repeated)}")
        return items

    def skus(self) -> list[str]:
        return [item.sku for item in self.items]

    def fingerprint(self) -> str:
        """sha256 of the canonical request: items by sku, keys sorted, no whitespace."""
        canonical = {
            "items": sorted((item.model_dump() for item in self.items), key=lambda i: i["sku"]),
            "payment_method": self.payment_method,
        }
        encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(encoded.encode()).hexdigest()


class OrderLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    name: str
    quantity: int
    unit_price: int = Field(description="Minor units of the order's currency.")
    line_total: int = Field(description="unit_price × quantity, in minor units.")


class OrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: uuid.UUID
    status: OrderStatus
    items: list[OrderLineRead] = Field(validation_alias="lines", description="One per sku, by sku.")
    total: int = Field(description="Minor units of `currency`.", examples=[4598])
    currency: str = Field(description="ISO 4217 code.", examples=["EUR"])
    cancellation_reason: CancellationReason | None
    created_at: datetime
    updated_at: datetime


class SagaEventRead(BaseModel):
    """A line of the saga's history: when, at which step, what happened."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    step: str = Field(examples=["charge_payment"])
    event: str = Field(examples=["PaymentCharged"])


class OrderDetails(OrderRead):
    """One order, with the history of the saga that confirms or cancels it."""

    saga: list[SagaEventRead] = Field(description="Oldest first.")

    @classmethod
    def of(cls, order: Order, history: Sequence[SagaEvent]) -> "OrderDetails":
        summary = OrderRead.model_validate(order)
        return cls(**dict(summary), saga=[SagaEventRead.model_validate(event) for event in history])

    @classmethod
    def of_row(cls, row: Row[tuple[object, ...]]) -> "OrderDetails":
        """From `repository.customer_order_details`: its lines and history are tuples of
        the fields of `OrderLineRead` and `SagaEventRead`, in their order."""
        fields = row._asdict()
        fields["lines"] = [dict(zip(_LINE_FIELDS, line, strict=True)) for line in fields["lines"]]
        fields["saga"] = [dict(zip(_EVENT_FIELDS, event, strict=True)) for event in fields["saga"]]
        return cls.model_validate(fields)


_LINE_FIELDS = tuple(OrderLineRead.model_fields)
_EVENT_FIELDS = tuple(SagaEventRead.model_fields)


class OrderPage(BaseModel):
    orders: list[OrderRead] = Field(description="Newest first; GET /orders/{id} adds the saga.")
    next: str | None = Field(
        description="Pass as `before` for the next page; null on the last page."
    )
