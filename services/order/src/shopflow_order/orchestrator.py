"""The order's side of its saga: start it, feed it replies, deadlines and cancellations,
and when the saga decides the order's fate, settle the order and announce it.

Everything happens in the caller's transaction: the saga's step, the commands it sends,
the order's new status and the event that tells the world commit together or not at all.
"""

import logging
import uuid
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_contracts.order import OrderCancelled, OrderConfirmed
from shopflow_kit.messaging import Envelope, Message
from shopflow_kit.messaging.outbox import add_to_outbox
from shopflow_kit.messaging.wiring import publish
from shopflow_kit.saga import CancelRefusedError, Decision, Saga, SagaEvent, SagaStore
from shopflow_order import repository
from shopflow_order.models import Base, CancellationReason, Order, OrderStatus
from shopflow_order.saga import PlaceOrderData, place_order_saga
from shopflow_order.settings import OrderSettings

logger = logging.getLogger(__name__)


class Orchestrator:
    """Runs the place-order saga of every order in this service's database (saga id = order id)."""

    def __init__(self, settings: OrderSettings, registry: CollectorRegistry | None = None) -> None:
        self.topics = settings.topics
        self.definition = place_order_saga(
            self.topics,
            step_deadline=timedelta(seconds=settings.saga_step_deadline_seconds),
            max_attempts=settings.saga_max_attempts,
        )
        self.store = SagaStore(
            Saga(self.definition), Base.metadata, outbox=add_to_outbox, registry=registry
        )

    async def start(self, session: AsyncSession, order: Order) -> None:
        await self.store.start(session, order.id, PlaceOrderData.of(order), _now())

    async def on_reply(self, session: AsyncSession, reply: Message, envelope: Envelope) -> None:
        decision = await self.store.on_reply(session, reply, envelope, _now())
        if decision is None:
            logger.warning("ignored %s: no saga for order %s", reply.TYPE, envelope.correlation_id)
            return
        await self._settle(session, uuid.UUID(envelope.correlation_id), decision, cause=envelope)

    async def on_deadlines(self, session: AsyncSession, limit: int) -> int:
        """Move on up to `limit` sagas whose step deadline has passed; returns how many.
        Counts those waiting for an operator too: the sweeper passes them by, an alert not."""
        now = _now()
        overdue = await self.store.overdue(session, now, limit)
        for order_id in overdue:
            async with self.store.on_deadline(session, order_id, now) as decision:
                await self._settle(session, order_id, decision, cause=None)
        await self.store.count_waiting_for_operator(session)
        return len(overdue)

    async def cancel(self, session: AsyncSession, order_id: uuid.UUID) -> bool:
        """Have the saga compensate at its next step; False once it is past the point of no return.

        Locks the saga's row: a reply for the same order waits for this transaction.
        """
        try:
            await self.store.request_cancel(session, order_id, _now())
        except CancelRefusedError:
            return False
        return True

    async def history(self, session: AsyncSession, order_id: uuid.UUID) -> list[SagaEvent]:
        """What happened to the order's saga, oldest first."""
        return await self.store.history(session, order_id)

    async def _settle(
        self, session: AsyncSession, order_id: uuid.UUID, decision: Decision, cause: Envelope | None
    ) -> None:
        """Confirm the order when the saga commits, cancel it when the saga has undone its work."""
        if not (decision.committed or decision.cancelled):
            return
        event: Message
        if decision.committed:
            order = await repository.settle_order(session, order_id, OrderStatus.CONFIRMED)
            event = OrderConfirmed(
                order_id=order_id,
                customer_id=order.customer_id,
                total=order.total,
                currency=order.currency,
            )
        else:
            assert decision.state.reason is not None, "a cancelled saga always says why"
            reason = CancellationReason(decision.state.reason)
            order = await repository.settle_order(session, order_id, OrderStatus.CANCELLED, reason)
            event = OrderCancelled(
                order_id=order_id, customer_id=order.customer_id, reason=reason.value
            )
        await publish(
            session, self.topics.order_events, event, correlation_id=str(order_id), cause=cause
        )


def _now() -> datetime:
    return datetime.now(UTC)
