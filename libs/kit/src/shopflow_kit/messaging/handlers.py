"""The messages a consumer takes, each with the handler for its type, checked by mypy.

A handler declares the message type it takes in its signature, and is added for that type:

    async def reserve(session: AsyncSession, command: ReserveStock, envelope: Envelope) -> None:
        ...

    handlers = MessageHandlers().add(ReserveStock, reserve).add(ReleaseStock, release)

`add` ties the two together (`Handler[M]` for `type[M]`), so a handler added for a type it
does not take fails type checking, and a handler never has to check what it was given.
"""

from collections.abc import Awaitable, Callable
from typing import Any, Self, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_kit.messaging.envelope import Envelope, Message

M = TypeVar("M", bound=Message)

Handler = Callable[[AsyncSession, M, Envelope], Awaitable[None]]
"""Handles one message in the transaction that records it in the inbox; raising rolls both back.

Messages it writes to the outbox through the session commit with its effects, atomically.
"""


class MessageHandlers:
    """Which handler takes each message type a consumer understands."""

    def __init__(self) -> None:
        # Each entry was added as a `Handler[M]` for `type[M]`: `handle` keeps to that pairing.
        self._handlers: dict[type[Message], Handler[Any]] = {}

    def add(self, message_type: type[M], handler: Handler[M]) -> Self:
        if message_type in self._handlers:
            raise ValueError(f"{message_type.TYPE} already has a handler")
        self._handlers[message_type] = handler
        return self

    @property
    def message_types(self) -> tuple[type[Message], ...]:
        return tuple(self._handlers)

    async def handle(self, session: AsyncSession, message: Message, envelope: Envelope) -> None:
        """Run the handler added for the message's type."""
        await self._handlers[type(message)](session, message, envelope)

    def __bool__(self) -> bool:
        return bool(self._handlers)
