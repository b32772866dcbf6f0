"""Order operations: each takes the request's session and never commits, but placing an
order, which takes the database and runs its own short transactions around a call to
inventory."""

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_kit import Database
from shopflow_order import repository
from shopflow_order.domain import (
    IdempotencyKeyReusedError,
    OrderAlreadyConfirmedError,
    OrderNotFoundError,
    priced_order,
)
from shopflow_order.models import IdempotencyKey, Order
from shopflow_order.orchestrator import Orchestrator
from shopflow_order.schemas import OrderCreate, OrderDetails
from shopflow_order.upstreams import Inventory


async def place_order(
    database: Database,
    inventory: Inventory,
    orchestrator: Orchestrator,
    customer_id: str,
    key: str,
    request: OrderCreate,
    *,
    admit: Callable[[], Awaitable[None]],
) -> Order:
    """A PENDING order for `request`, placed once per customer and `Idempotency-Key`.

    `admit` raises if the shop cannot take new work now (Kafka away, a backlog too long);
    it is asked only for a key not seen before, so a client retrying after an answer it
    never got finds its order even then.

    Priced first, then written: no database connection is held while inventory answers,
    so a slow inventory cannot take the pool from reads and the saga's consumer. The key,
    the order, its lines, its saga and the saga's first command commit together: a replay
    of the same request returns the order the key placed, without asking inventory again
    or starting a second saga.
    """
    fingerprint = request.fingerprint()
    claimed = await repository.key_claim(database, customer_id, key)
    if claimed is not None:
        async with database.transaction() as session:
            return await _replayed(session, claimed, fingerprint)
    await admit()
    order = priced_order(customer_id, request, await inventory.products(request.skus()))
    candidate = IdempotencyKey(
        customer_id=customer_id, key=key, fingerprint=fingerprint, order_id=order.id
    )
    async with database.transaction() as session:
        claim = await repository.claim_idempotency_key(session, candidate)
        if claim.order_id != order.id:
            # A concurrent request with this key committed first: this one is its replay.
            return await _replayed(session, claim, fingerprint)
        await repository.add_order(session, order)
        await orchestrator.start(session, order)
    return order


async def _replayed(
    session: AsyncSession, claim: IdempotencyKey | repository.KeyClaim, fingerprint: str
) -> Order:
    if claim.fingerprint != fingerprint:
        raise IdempotencyKeyReusedError()
    return await repository.order(session, claim.order_id)


async def customer_order(session: AsyncSession, customer_id: str, order_id: uuid.UUID) -> Order:
    order = await repository.customer_order(session, customer_id, order_id)
    if order is None:
        raise OrderNotFoundError()
    return order


async def customer_order_details(
    database: Database, customer_id: str, order_id: uuid.UUID
) -> OrderDetails:
    """The order as `GET /orders/{id}` shows it: one statement, no ORM objects, no transaction."""
    row = await repository.customer_order_details(database, customer_id, order_id)
    if row is None:
        raise OrderNotFoundError()
    return OrderDetails.of_row(row)


async def cancel_order(
    session: AsyncSession, orchestrator: Orchestrator, customer_id: str, order_id: uuid.UUID
) -> Order:
    """The customer's cancellation, asked of the order's saga: it compensates at its next step.

    Answers the order as it stands: still PENDING while the saga undoes what it did,
    CANCELLED if it already was. Refused once the saga is past the point of no return.
    """
    order = await customer_order(session, customer_id, order_id)
    if not await orchestrator.cancel(session, order.id):
        raise OrderAlreadyConfirmedError()
    # Read again now that the saga is locked: a reply may have settled the order meanwhile.
    await session.refresh(order)
    return order
