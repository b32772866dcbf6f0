"""Order operations: each takes the request's session and never commits."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_order import repository
from shopflow_order.errors import (
    IdempotencyKeyReusedError,
    OrderAlreadyConfirmedError,
    OrderNotFoundError,
)
from shopflow_order.inventory import Inventory
from shopflow_order.models import CancellationReason, IdempotencyKey, Order, OrderStatus
from shopflow_order.pricing import priced_order
from shopflow_order.schemas import OrderCreate


async def place_order(
    session: AsyncSession, inventory: Inventory, customer_id: str, key: str, request: OrderCreate
) -> Order:
    """A PENDING order for `request`, placed once per customer and `Idempotency-Key`.

    The key, the order and its lines commit together (the saga's instance and first
    command will join them): a replay of the same request returns the order the key
    placed, without asking inventory again.
    """
    fingerprint = request.fingerprint()
    claim = await repository.idempotency_key(session, customer_id, key)
    if claim is not None:
        return await _replayed(session, claim, fingerprint)
    order = priced_order(customer_id, request, await inventory.products(request.skus()))
    candidate = IdempotencyKey(
        customer_id=customer_id, key=key, fingerprint=fingerprint, order_id=order.id
    )
    claim = await repository.claim_idempotency_key(session, candidate)
    if claim.order_id != order.id:
        # A concurrent request with this key committed first: this one is its replay.
        return await _replayed(session, claim, fingerprint)
    await repository.add_order(session, order)
    return order


async def _replayed(session: AsyncSession, claim: IdempotencyKey, fingerprint: str) -> Order:
    if claim.fingerprint != fingerprint:
        raise IdempotencyKeyReusedError()
    return await repository.order(session, claim.order_id)


async def customer_order(session: AsyncSession, customer_id: str, order_id: uuid.UUID) -> Order:
    order = await repository.customer_order(session, customer_id, order_id)
    if order is None:
        raise OrderNotFoundError()
    return order


async def cancel_order(session: AsyncSession, customer_id: str, order_id: uuid.UUID) -> Order:
    """The customer's cancellation: a PENDING order is CANCELLED, a CANCELLED one stays so."""
    # Locked, so a saga step advancing the same order waits for this decision.
    order = await repository.customer_order(session, customer_id, order_id, for_update=True)
    if order is None:
        raise OrderNotFoundError()
    if order.status == OrderStatus.CONFIRMED:
        raise OrderAlreadyConfirmedError()
    if order.status == OrderStatus.PENDING:
        order.status = OrderStatus.CANCELLED
        order.cancellation_reason = CancellationReason.CANCELLED_BY_CUSTOMER
        await session.flush()
    return order
