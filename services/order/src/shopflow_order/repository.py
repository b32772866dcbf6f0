"""Queries on orders and idempotency keys; the only module that writes SQL."""

import uuid
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Row, Select, column, func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_kit import Database
from shopflow_order.models import CancellationReason, IdempotencyKey, Order, OrderStatus
from shopflow_order.pagination import OrderCursor


class KeyClaim(NamedTuple):
    """What a customer's `Idempotency-Key` was used for: the request's fingerprint, its order."""

    fingerprint: str
    order_id: uuid.UUID


async def key_claim(database: Database, customer_id: str, key: str) -> KeyClaim | None:
    """The claim of the customer's key, if there is one; a single statement, so it needs no
    transaction (`Database.one_or_none()`)."""
    statement = select(IdempotencyKey.fingerprint, IdempotencyKey.order_id).where(
        IdempotencyKey.customer_id == customer_id, IdempotencyKey.key == key
    )
    row = await database.one_or_none(statement)
    return None if row is None else KeyClaim(row.fingerprint, row.order_id)


async def claim_idempotency_key(session: AsyncSession, claim: IdempotencyKey) -> IdempotencyKey:
    """Insert unless the customer already used this key; return the stored claim.

    A concurrent claim of the same key waits for the first to commit, then reads it.
    """
    inserted = await session.execute(
        insert(IdempotencyKey)
        .values(
            customer_id=claim.customer_id,
            key=claim.key,
            fingerprint=claim.fingerprint,
            order_id=claim.order_id,
        )
        .on_conflict_do_nothing()
        .returning(IdempotencyKey)
    )
    if (claimed := inserted.scalar_one_or_none()) is not None:
        return claimed  # ours: no second read
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


class SettledOrder(NamedTuple):
    """What the event announcing an order's fate says of it."""

    customer_id: str
    total: int
    currency: str


async def settle_order(
    session: AsyncSession,
    order_id: uuid.UUID,
    status: OrderStatus,
    reason: CancellationReason | None = None,
) -> SettledOrder:
    """Give the order its final status in one statement, without loading it and its lines."""
    statement = (
        update(Order)
        .where(Order.id == order_id)
        .values(status=status, cancellation_reason=reason, updated_at=func.now())
        .returning(Order.customer_id, Order.total, Order.currency)
    )
    row = (await session.execute(statement)).one()
    return SettledOrder(row.customer_id, row.total, row.currency)


async def customer_order(
    session: AsyncSession, customer_id: str, order_id: uuid.UUID
) -> Order | None:
    """The order if it is this customer's: another customer's order is as good as absent."""
    statement = select(Order).where(Order.id == order_id, Order.customer_id == customer_id)
    return (await session.execute(statement)).scalar_one_or_none()


# The order, its lines and its saga's history in one round trip: each list an array of
# rows (asyncpg decodes them as tuples of typed values), in the order the API shows them.
# Its columns named (untyped: the driver's values as they come) so SQLAlchemy keeps the
# result's description with the compiled statement instead of building it on every read.
_ORDER_DETAILS_COLUMNS = (
    "id", "status", "total", "currency", "cancellation_reason", "created_at", "updated_at",
    "lines", "saga",
)  # fmt: skip
_ORDER_DETAILS = text("""
SELECT o.id, o.status, o.total, o.currency, o.cancellation_reason, o.created_at, o.updated_at,
       ARRAY(SELECT ROW(l.sku, l.name, l.quantity, l.unit_price, l.line_total)
             FROM order_lines l WHERE l.order_id = o.id ORDER BY l.sku) AS lines,
       ARRAY(SELECT ROW(h.at, h.step, h.event)
             FROM saga_history h WHERE h.saga_id = o.id ORDER BY h.id) AS saga
FROM orders o
WHERE o.id = :order_id AND o.customer_id = :customer_id
""").columns(*map(column, _ORDER_DETAILS_COLUMNS))


async def customer_order_details(
    database: Database, customer_id: str, order_id: uuid.UUID
) -> Row[tuple[object, ...]] | None:
    """The order with its lines (as `OrderLineRead`'s fields, by sku) and its saga's history
    (as `SagaEventRead`'s, oldest first), if it is this customer's; one statement, so one
    snapshot, consistent without a transaction around it."""
    parameters = {"order_id": order_id, "customer_id": customer_id}
    return await database.one_or_none(_ORDER_DETAILS, parameters)


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
