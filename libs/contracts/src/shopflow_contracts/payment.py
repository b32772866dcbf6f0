"""Payment's commands (from the order saga) and the events that answer them."""

import uuid

from pydantic import Field

from shopflow_kit.messaging import Message


class ChargePayment(Message):
    order_id: uuid.UUID
    amount: int = Field(gt=0)  # minor units
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    payment_method: str = Field(min_length=1, max_length=64)


class RefundPayment(Message):
    """Refund whatever was charged for the order; nothing if nothing was."""

    order_id: uuid.UUID


class PaymentCharged(Message):
    order_id: uuid.UUID
    payment_id: uuid.UUID
    amount: int
    currency: str


class PaymentDeclined(Message):
    order_id: uuid.UUID
    reason: str


class PaymentRefunded(Message):
    order_id: uuid.UUID
    amount: int  # 0 when nothing had been charged


COMMANDS = (ChargePayment, RefundPayment)
EVENTS = (PaymentCharged, PaymentDeclined, PaymentRefunded)
