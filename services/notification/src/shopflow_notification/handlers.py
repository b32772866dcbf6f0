"""The order events this service reacts to, by choreography: each ended order is notified.

The consumer runs each handler in the transaction that records the event in the inbox,
so a redelivered event is skipped; the notifications' unique constraint backs that up.
"""

from typing import assert_never

from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_contracts.order import OrderCancelled, OrderConfirmed
from shopflow_kit.messaging import Envelope, MessageHandlers
from shopflow_notification.domain import OrderOutcome
from shopflow_notification.models import NotificationKind
from shopflow_notification.service import notify

OrderEnded = OrderConfirmed | OrderCancelled


def outcome_of(event: OrderEnded) -> OrderOutcome:
    """What an order event tells the customer."""
    match event:
        case OrderConfirmed():
            return OrderOutcome(
                str(event.order_id),
                event.customer_id,
                NotificationKind.ORDER_CONFIRMED,
                total=event.total,
                currency=event.currency,
            )
        case OrderCancelled():
            return OrderOutcome(
                str(event.order_id),
                event.customer_id,
                NotificationKind.ORDER_CANCELLED,
                reason=event.reason,
            )
        case _:
            assert_never(event)


async def on_order_ended(session: AsyncSession, event: OrderEnded, _envelope: Envelope) -> None:
    await notify(session, outcome_of(event))


HANDLERS = MessageHandlers().add(OrderConfirmed, on_order_ended).add(OrderCancelled, on_order_ended)
