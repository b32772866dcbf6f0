"""The HTTP API's bodies, shaped like a PSP's: money in minor units with an ISO 4217 currency."""

from datetime import datetime
from typing import Annotated

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StringConstraints

from shopflow_kit.text import STORABLE
from shopflow_payment_provider.models import ChargeStatus

MinorUnits = Annotated[int, Field(gt=0, le=99_999_999, description="In minor units (cents).")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217", examples=["EUR"])]
ChargeId = Annotated[
    str, Field(pattern=r"^ch_[0-9a-f]{24}$", examples=["ch_3f2a9c4e0b1d4e5f6a7b8c9d"])
]
MetadataKey = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=STORABLE)]
MetadataValue = Annotated[str, StringConstraints(max_length=500, pattern=STORABLE)]


class ChargeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: MinorUnits
    currency: Currency
    source: str = Field(min_length=1, max_length=64, pattern=STORABLE, examples=["tok_visa"])
    description: str | None = Field(None, max_length=500, pattern=STORABLE)
    metadata: dict[MetadataKey, MetadataValue] = Field(
        default_factory=dict, max_length=20, examples=[{"order_id": "3f2a9c4e-..."}]
    )


class ChargeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: ChargeStatus
    amount: int
    amount_refunded: int
    currency: str
    source: str
    description: str | None
    metadata: dict[str, str] = Field(validation_alias=AliasChoices("charge_metadata", "metadata"))
    decline_code: str | None
    idempotency_key: str
    created_at: datetime


class ChargePage(BaseModel):
    """Oldest first; ask for the next page with `starting_after` = the last charge's id."""

    data: list[ChargeRead]
    has_more: bool


class RefundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    charge_id: ChargeId
    amount: MinorUnits | None = Field(None, description="Default: all that is left to refund.")


class RefundRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    charge_id: str
    amount: int
    currency: str
    created_at: datetime
