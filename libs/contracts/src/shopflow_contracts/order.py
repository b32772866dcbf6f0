"""The order's outcome, published for whoever cares (the notification service)."""

import uuid
from typing import Literal

from shopflow_kit.messaging import Message

CancellationReason = Literal[
    "out_of_stock", "payment_declined", "cancelled_by_customer", "timed_out"
]


class OrderConfirmed(Message):
    order_id: uuid.UUID
    customer_id: str
    total: int
    currency: str


class OrderCancelled(Message):
    order_id: uuid.UUID
    customer_id: str
    reason: CancellationReason


EVENTS = (OrderConfirmed, OrderCancelled)
