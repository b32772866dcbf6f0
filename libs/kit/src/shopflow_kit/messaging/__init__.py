"""Reliable messaging over Kafka: envelope, transactional outbox and relay, idempotent consumers.

A service joins the bus with `wiring.messaging_jobs(...)`; see docs/messaging.md.
"""

from shopflow_kit.messaging.consumer import MessageConsumer
from shopflow_kit.messaging.consumer_retry import (
    ConsumerRetryPolicy,
    DependencyOutageError,
    TransientError,
)
from shopflow_kit.messaging.envelope import (
    Envelope,
    MalformedMessageError,
    Message,
    MessageTypes,
    UnknownMessageTypeError,
)
from shopflow_kit.messaging.handlers import Handler, MessageHandlers
from shopflow_kit.messaging.inbox import INBOX
from shopflow_kit.messaging.outbox import OUTBOX, add_to_outbox
from shopflow_kit.messaging.relay import OutboxRelay
from shopflow_kit.messaging.wiring import messaging_jobs, publish, reply

__all__ = [
    "INBOX",
    "OUTBOX",
    "ConsumerRetryPolicy",
    "DependencyOutageError",
    "Envelope",
    "Handler",
    "MalformedMessageError",
    "Message",
    "MessageConsumer",
    "MessageHandlers",
    "MessageTypes",
    "OutboxRelay",
    "TransientError",
    "UnknownMessageTypeError",
    "add_to_outbox",
    "messaging_jobs",
    "publish",
    "reply",
]
