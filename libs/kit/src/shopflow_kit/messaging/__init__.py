"""Reliable messaging over Kafka: envelope, transactional outbox and relay, idempotent consumers."""

from shopflow_kit.messaging.envelope import (
    Envelope,
    MalformedMessageError,
    Message,
    MessageTypes,
    UnknownMessageTypeError,
)

__all__ = [
    "Envelope",
    "MalformedMessageError",
    "Message",
    "MessageTypes",
    "UnknownMessageTypeError",
]
