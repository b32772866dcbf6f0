"""The envelope every message travels in, and the typed messages inside it.

A `Message` is a versioned Pydantic model named for what it is (`ReserveStock` for a
command, `StockReserved` for an event). An `Envelope` adds what the bus needs: ids for
deduplication and causality, the correlation id (the order id, also the Kafka key), and
the W3C trace context of the moment the message was created, so one order is one trace.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from opentelemetry import propagate
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Message(BaseModel):
    """A command or an event. Subclasses name themselves and their schema version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.TYPE = cls.__name__


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    message_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    schema_version: int
    correlation_id: str
    causation_id: uuid.UUID | None = None
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    trace_context: dict[str, str] = Field(default_factory=dict)
    payload: dict[str, Any]

    @classmethod
    def wrap(cls, message: Message, *, correlation_id: str, cause: Envelope | None = None) -> Self:
        """Envelope `message`, caused by `cause` (the message being handled), if any."""
        carrier: dict[str, str] = {}
        propagate.inject(carrier)  # empty unless tracing is configured
        return cls(
            type=message.TYPE,
            schema_version=message.VERSION,
            correlation_id=correlation_id,
            causation_id=cause.message_id if cause else None,
            trace_context=carrier,
            payload=message.model_dump(mode="json"),
        )

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Self:
        try:
            return cls.model_validate_json(raw)
        except ValidationError as error:
            raise MalformedMessageError(f"not a ShopFlow envelope: {error}") from error


class MalformedMessageError(ValueError):
    """Bytes that are not an envelope, or a payload that does not fit its type."""


class UnknownMessageTypeError(ValueError):
    """An envelope whose type (or schema version) nobody here understands."""


class MessageTypes:
    """The messages a consumer understands, to turn an envelope back into a typed message."""

    def __init__(self, types: Iterable[type[Message]]) -> None:
        self._types = {(t.TYPE, t.VERSION): t for t in types}

    def parse(self, envelope: Envelope) -> Message:
        message_type = self._types.get((envelope.type, envelope.schema_version))
        if message_type is None:
            raise UnknownMessageTypeError(f"{envelope.type} v{envelope.schema_version}")
        try:
            return message_type.model_validate(envelope.payload)
        except ValidationError as error:
            raise MalformedMessageError(f"bad {envelope.type} payload: {error}") from error
