"""Queries on payments; the only module that writes SQL."""

import uuid
from collections.abc import Sequence

from sqlalchemy import BigInteger, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_payment.models import Payment


async def lock_order(session: AsyncSession, order_id: uuid.UUID) -> None:
    """Hold the order's lock until the transaction ends: its charge and its refund never
    interleave, even while one of them waits for the provider."""
    key = literal(order_id.int >> 65, BigInteger)  # the order id's top 63 bits
    await session.execute(select(func.pg_advisory_xact_lock(key)))


async def for_order(session: AsyncSession, order_id: uuid.UUID) -> Payment | None:
    return await session.scalar(select(Payment).where(Payment.order_id == order_id))


async def by_id(session: AsyncSession, payment_id: uuid.UUID) -> Payment | None:
    return await session.get(Payment, payment_id)


async def list_for_order(session: AsyncSession, order_id: uuid.UUID) -> Sequence[Payment]:
    return (await session.scalars(select(Payment).where(Payment.order_id == order_id))).all()
