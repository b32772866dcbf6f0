"""REST: the notifications of an order, for a caller the gateway signed for: it has
checked that the order is theirs."""

import uuid

from fastapi import APIRouter

from shopflow_kit import DbSession, documented_problems
from shopflow_kit.identity import authenticated
from shopflow_kit.problems import UNAUTHENTICATED, VALIDATION_ERROR
from shopflow_notification import repository
from shopflow_notification.schemas import NotificationRead

router = APIRouter(tags=["notifications"], dependencies=[authenticated])


@router.get(
    "/notifications",
    responses=documented_problems(VALIDATION_ERROR, UNAUTHENTICATED),
    summary="The notifications sent for an order, oldest first",
)
async def list_notifications(order_id: uuid.UUID, session: DbSession) -> list[NotificationRead]:
    notifications = await repository.for_order(session, order_id)
    return [NotificationRead.model_validate(n) for n in notifications]
