"""What the package exports; each name is imported on first use (see `__init__.py`)."""

from .consumer import MessageConsumer
from .consumer_retry import (
    ConsumerRetryPolicy,
    DependencyOutageError,
    TransientError,
)
from .envelope import (
    Envelope,
    MalformedMessageError,
    Message,
    MessageTypes,
    UnknownMessageTypeError,
)
from .handlers import Handler, MessageHandlers
from .inbox import INBOX
from .outbox import OUTBOX, add_to_outbox
from .relay import OutboxRelay
from .wiring import messaging_jobs, publish, reply

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
