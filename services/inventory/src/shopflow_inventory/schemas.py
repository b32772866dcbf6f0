"""The HTTP API's bodies, with the limits input must keep."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field

from shopflow_inventory.domain import MAX_STOCK, SKU_PATTERN
from shopflow_inventory.models import RejectionReason, ReservationStatus
from shopflow_kit.text import ONE_LINE

MAX_PRICE = 100_000_000  # minor units: a million in the major unit

Sku = Annotated[str, StringConstraints(pattern=SKU_PATTERN), Field(examples=["MUG-001"])]
Currency = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{3}$"), Field(description="ISO 4217", examples=["EUR"])
]
Price = Annotated[int, Field(gt=0, le=MAX_PRICE, description="Minor units (cents) of currency")]
Units = Annotated[int, Field(ge=0, le=MAX_STOCK)]


class ProductCreate(BaseModel):
    # strict: "price": "1999" or true is a mistake to report, not to guess at.
    model_config = ConfigDict(strict=True, extra="forbid")

    sku: Sku
    name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=ONE_LINE),
    ]
    price: Price
    currency: Currency
    stock: Units = Field(default=0, description="Units available from the start")


class StockSet(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    available: Units


class ProductRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    name: str
    price: Price
    currency: Currency
    available: int


class ReservationLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    quantity: int


class ReservationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    order_id: uuid.UUID
    status: ReservationStatus
    lines: list[ReservationLineRead]
    reason: RejectionReason | None = Field(description="Why it was rejected")
    short_skus: list[str] = Field(description="The lines that could not be met, if rejected")
    created_at: datetime
    updated_at: datetime


class StockAuditRead(BaseModel):
    """One product's units: how many were ever stocked, and where each of them is now."""

    model_config = ConfigDict(from_attributes=True)

    sku: str
    stocked: int = Field(description="The ledger's sum: units added by admins, net")
    available: int
    reserved: int
    sold: int

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented form
    @property
    def consistent(self) -> bool:
        """Whether every unit stocked is available, reserved or sold, and no more."""
        return self.stocked == self.available + self.reserved + self.sold
