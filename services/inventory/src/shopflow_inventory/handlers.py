"""The inventory commands' handlers: each runs its stock operation and replies with an event.

The consumer runs a handler in the transaction that records the command in the inbox, and
the reply goes to the outbox in that same transaction: the stock moves, the command counts
as handled and its reply is on its way, all three or none. A redelivered command is
skipped by the inbox; a resent one (a new message id) passes it, and the operation,
idempotent per order, answers what it answered the first time.

A command the operation refuses raises, and the consumer dead-letters it at once with the
error, replying nothing: `TransitionRefusedError` for a CommitStock of a released
reservation or a ReleaseStock of a sold one, `InvalidLinesError` for a sku no product can
have. The saga never sends either; an operator reads them in the dead-letter topic.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_contracts.inventory import (
    CommitStock,
    ReleaseStock,
    ReserveStock,
    StockCommitted,
    StockRejected,
    StockReleased,
    StockReserved,
)
from shopflow_contracts.topics import Topics
from shopflow_inventory import domain, service
from shopflow_inventory.domain import StockLine
from shopflow_kit.messaging import Envelope, MessageHandlers
from shopflow_kit.messaging.wiring import reply


class StockCommands:
    """Handles the inventory commands, replying on the inventory events topic."""

    def __init__(self, topics: Topics) -> None:
        self._replies = topics.inventory_events

    def handlers(self) -> MessageHandlers:
        return (
            MessageHandlers()
            .add(ReserveStock, self.reserve)
            .add(ReleaseStock, self.release)
            .add(CommitStock, self.commit)
        )

    async def reserve(
        self, session: AsyncSession, command: ReserveStock, envelope: Envelope
    ) -> None:
        lines = [StockLine(line.sku, line.quantity) for line in command.lines]
        outcome = await service.reserve_stock(session, command.order_id, lines)
        await reply(session, self._replies, reservation_event(outcome), to=envelope)

    async def release(
        self, session: AsyncSession, command: ReleaseStock, envelope: Envelope
    ) -> None:
        await service.release_stock(session, command.order_id)
        await reply(session, self._replies, StockReleased(order_id=command.order_id), to=envelope)

    async def commit(self, session: AsyncSession, command: CommitStock, envelope: Envelope) -> None:
        await service.commit_stock(session, command.order_id)
        await reply(session, self._replies, StockCommitted(order_id=command.order_id), to=envelope)


def reservation_event(
    outcome: domain.ReservationOutcome,
) -> StockReserved | StockRejected | StockReleased:
    """The event that announces how reserving stock for an order ended: released, holding
    nothing, if the order's stock had been released before the reserve came."""
    if isinstance(outcome, domain.StockReleased):
        return StockReleased(order_id=outcome.order_id)
    if isinstance(outcome, domain.StockRejected):
        return StockRejected(
            order_id=outcome.order_id, reason=outcome.reason.value, skus=outcome.skus
        )
    return StockReserved(order_id=outcome.order_id)
