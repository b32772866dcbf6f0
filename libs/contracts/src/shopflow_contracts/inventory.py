"""Inventory's commands (from the order saga) and the events that answer them."""

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shopflow_kit.messaging import Message


class StockLine(BaseModel):
    """A value inside a message, not a message of its own."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str = Field(min_length=1, max_length=32)
    quantity: int = Field(gt=0, le=1000)


class ReserveStock(Message):
    order_id: uuid.UUID
    lines: tuple[StockLine, ...] = Field(min_length=1, max_length=100)


class ReleaseStock(Message):
    order_id: uuid.UUID


class CommitStock(Message):
    order_id: uuid.UUID


class StockReserved(Message):
    order_id: uuid.UUID


class StockRejected(Message):
    order_id: uuid.UUID
    reason: Literal["out_of_stock", "unknown_sku"]
    skus: tuple[str, ...]


class StockReleased(Message):
    order_id: uuid.UUID


class StockCommitted(Message):
    order_id: uuid.UUID


COMMANDS = (ReserveStock, ReleaseStock, CommitStock)
EVENTS = (StockReserved, StockRejected, StockReleased, StockCommitted)
