"""Recording a notification: idempotent per order and kind (events arrive at least once)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_notification import repository
from shopflow_notification.domain import OrderOutcome, render
from shopflow_notification.models import Notification


async def notify(session: AsyncSession, outcome: OrderOutcome) -> Notification:
    subject, body = render(outcome)
    notification = Notification(
        id=uuid.uuid4(),
        order_id=uuid.UUID(outcome.order_id),
        kind=outcome.kind,
        recipient=outcome.customer,
        subject=subject,
        body=body,
    )
    return await repository.add_once(session, notification)
