"""Queries on orders and idempotency keys; the only module that writes SQL."""

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_order.models import IdempotencyKey, Order
from shopflow_order.pagination import OrderCursor


async def idempotency_key(
    session: AsyncSession, customer_id: str, key: str
) -> IdempotencyKey | None:
    return (await session.execute(_claim_of(customer_id, key))).scalar_one_or_none()


async def claim_idempotency_key(session: AsyncSession, claim: IdempotencyKey) -> IdempotencyKey:
    """Insert unless the customer already used this key; return the stored claim.

    A concurrent claim of the same key waits for the first to commit, then reads it.
    """
    await session.execute(
        insert(IdempotencyKey)
        .values(
            customer_id=claim.customer_id,
            key=claim.key,
            fingerprint=claim.fingerprint,
            order_id=claim.order_id,
        )
        .on_conflict_do_nothing()
    )
    return (await session.execute(_claim_of(claim.customer_id, claim.key))).scalar_one()


def _claim_of(customer_id: str, key: str) -> Select[IdempotencyKey]:
    return select(IdempotencyKey).where(
        IdempotencyKey.customer_id == customer_id, IdempotencyKey.key == key
    )


async def add_order(session: AsyncSession, order: Order) -> None:
    session.add(order)
    await session.flush()


async def order(session: AsyncSession, order_id: uuid.UUID) -> Order:
    return (await session.execute(select(Order).where(Order.id == order_id))).scalar_one()


async def customer_order(
    session: AsyncSession, customer_id: str, order_id: uuid.UUID
) -> Order | None:
    """The order if it is this customer's: another customer's order is as good as absent."""
    statement = select(Order).where(Order.id == order_id, Order.customer_id == customer_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def customer_orders(
    session: AsyncSession, customer_id: str, limit: int, before: OrderCursor | None
) -> Sequence[Order]:
    """Up to `limit` of the customer's orders, newest first, older than `before` if given."""
    statement = select(Order).where(Order.customer_id == customer_id)
    if before is not None:
        statement = statement.where(
            tuple_(Order.created_at, Order.id) < tuple_(before.created_at, before.id)
        )
    statement = statement.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)
    return (await session.execute(statement)).scalars().all()
