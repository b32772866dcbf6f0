"""Queries on reservations and their lines."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_inventory.domain import StockLine
from shopflow_inventory.models import (
    RejectionReason,
    Reservation,
    ReservationLine,
    ReservationStatus,
)


async def claim(session: AsyncSession, order_id: uuid.UUID, lines: Sequence[StockLine]) -> bool:
    """Record a RESERVED reservation of `lines` for the order; False if it already has one.

    The primary key decides: a concurrent claim of the same order waits for this
    transaction and then finds the order taken.
    """
    inserted = await session.execute(
        insert(Reservation)
        .values(order_id=order_id, status=ReservationStatus.RESERVED)
        .on_conflict_do_nothing(index_elements=[Reservation.order_id])
        .returning(Reservation.order_id)
    )
    if inserted.first() is None:
        return False
    session.add_all(
        ReservationLine(order_id=order_id, sku=line.sku, quantity=line.quantity) for line in lines
    )
    await session.flush()
    return True


async def tombstone(session: AsyncSession, order_id: uuid.UUID) -> bool:
    """Record the order as released before anything was reserved for it (no lines); False
    if it has a reservation already (one committed concurrently: the primary key decides)."""
    inserted = await session.execute(
        insert(Reservation)
        .values(order_id=order_id, status=ReservationStatus.RELEASED)
        .on_conflict_do_nothing(index_elements=[Reservation.order_id])
        .returning(Reservation.order_id)
    )
    return inserted.first() is not None


async def reject(
    session: AsyncSession, order_id: uuid.UUID, reason: RejectionReason, skus: Sequence[str]
) -> None:
    await session.execute(
        update(Reservation)
        .where(Reservation.order_id == order_id)
        .values(status=ReservationStatus.REJECTED, reason=reason, short_skus=list(skus))
    )


async def move(
    session: AsyncSession,
    order_id: uuid.UUID,
    source: ReservationStatus,
    target: ReservationStatus,
) -> bool:
    """Take the reservation from `source` to `target`; False, changing nothing, if it is not
    at `source`. Concurrent transitions of one reservation queue on its row: one wins."""
    moved = await session.execute(
        update(Reservation)
        .where(Reservation.order_id == order_id, Reservation.status == source)
        .values(status=target)
        .returning(Reservation.order_id)
    )
    return moved.first() is not None


async def reservation(session: AsyncSession, order_id: uuid.UUID) -> Reservation | None:
    statement = (
        select(Reservation)
        .where(Reservation.order_id == order_id)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()
