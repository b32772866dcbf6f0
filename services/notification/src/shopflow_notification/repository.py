"""Queries on notifications; the only module that writes SQL."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_notification.models import Notification, NotificationKind


async def add_once(session: AsyncSession, notification: Notification) -> Notification:
    """Insert unless this order already has a notification of this kind; return the stored one."""
    values = {
        column.key: getattr(notification, column.key)
        for column in Notification.__table__.columns
        if getattr(notification, column.key) is not None
    }
    await session.execute(
        insert(Notification)
        .values(values)
        .on_conflict_do_nothing(index_elements=["order_id", "kind"])
    )
    return await by_order_and_kind(session, notification.order_id, notification.kind)


async def by_order_and_kind(
    session: AsyncSession, order_id: uuid.UUID, kind: NotificationKind
) -> Notification:
    statement = select(Notification).where(
        Notification.order_id == order_id, Notification.kind == kind
    )
    return (await session.execute(statement)).scalar_one()


async def for_order(session: AsyncSession, order_id: uuid.UUID) -> Sequence[Notification]:
    statement = (
        select(Notification)
        .where(Notification.order_id == order_id)
        .order_by(Notification.created_at, Notification.id)
    )
    return (await session.execute(statement)).scalars().all()
