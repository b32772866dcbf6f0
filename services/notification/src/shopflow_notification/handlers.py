"""The order events this service reacts to, by choreography: each ended order is notified.

The consumer runs each handler in the transaction that records the event in the inbox,
so a redelivered event is skipped; the notifications' unique constraint backs that up.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_contracts.order import OrderCancelled, OrderConfirmed
from shopflow_kit.messaging import Envelope, Message
from shopflow_kit.messaging.consumer_dispatch import Handler
from shopflow_notification.domain import OrderOutcome
from shopflow_notification.models import NotificationKind
from shopflow_notification.service import notify


def outcome_of(event: Message) -> OrderOutcome:
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
    raise TypeError(f"{event.TYPE} is not an order's outcome")


async def on_order_ended(session: AsyncSession, event: Message, envelope: Envelope) -> None:
    await notify(session, outcome_of(event))


HANDLERS: dict[type[Message], Handler] = {
    OrderConfirmed: on_order_ended,
    OrderCancelled: on_order_ended,
}
