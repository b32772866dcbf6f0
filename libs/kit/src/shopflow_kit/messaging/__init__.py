"""Reliable messaging over Kafka: envelope, transactional outbox and relay, idempotent consumers.

A service joins the bus with `wiring.messaging_jobs(...)`; see docs/messaging.md.
"""

from shopflow_kit.messaging.consumer import MessageConsumer
from shopflow_kit.messaging.consumer_dispatch import Handler
from shopflow_kit.messaging.consumer_retry import ConsumerRetryPolicy, TransientError
from shopflow_kit.messaging.envelope import (
    Envelope,
    MalformedMessageError,
    Message,
    MessageTypes,
    UnknownMessageTypeError,
)
from shopflow_kit.messaging.outbox import add_to_outbox, outbox_table
from shopflow_kit.messaging.relay import OutboxRelay
from shopflow_kit.messaging.wiring import messaging_jobs, metadata_tables, publish, reply

__all__ = [
    "ConsumerRetryPolicy",
    "Envelope",
    "Handler",
    "MalformedMessageError",
    "Message",
    "MessageConsumer",
    "MessageTypes",
    "OutboxRelay",
    "TransientError",
    "UnknownMessageTypeError",
    "add_to_outbox",
    "messaging_jobs",
    "metadata_tables",
    "outbox_table",
    "publish",
    "reply",
]
