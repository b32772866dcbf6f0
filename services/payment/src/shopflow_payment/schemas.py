"""The HTTP API's bodies."""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shopflow_payment.models import PaymentStatus


class PaymentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    order_id: uuid.UUID
    status: PaymentStatus
    amount: int | None = Field(description="Minor units; null only if nothing was ever asked.")
    currency: str | None = Field(description="ISO 4217")
    payment_method: str | None
    provider_charge_id: str | None
    provider_refund_id: str | None
    decline_reason: str | None = Field(description="Why no money was taken (DECLINED, FAILED).")
    created_at: datetime
    updated_at: datetime
