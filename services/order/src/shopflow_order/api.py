"""REST: place, read, list and cancel the calling customer's orders."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_kit import AppDatabase, CustomerId, DbSession, attributes, documented_problems
from shopflow_kit.problems import (
    BAD_GATEWAY,
    DEPENDENCY_UNAVAILABLE,
    MALFORMED_BODY,
    UNAUTHENTICATED,
    UPSTREAM_UNAVAILABLE,
    VALIDATION_ERROR,
)
from shopflow_kit.telemetry import tag_current_span
from shopflow_order import repository, service
from shopflow_order.admission import OVERLOADED
from shopflow_order.dependencies import (
    IDEMPOTENCY_KEY_REQUIRED,
    DoorDep,
    IdempotencyKeyHeader,
    InventoryDep,
    OrchestratorDep,
)
from shopflow_order.domain import (
    IdempotencyKeyReusedError,
    MixedCurrenciesError,
    OrderAlreadyConfirmedError,
    OrderNotFoundError,
    UnknownSkusError,
)
from shopflow_order.models import Order, OrderStatus
from shopflow_order.orchestrator import Orchestrator
from shopflow_order.pagination import InvalidCursorError, OrderCursor
from shopflow_order.schemas import OrderCreate, OrderDetails, OrderPage, OrderRead

router = APIRouter(prefix="/orders", tags=["orders"])


async def _details(session: AsyncSession, orchestrator: Orchestrator, order: Order) -> OrderDetails:
    return OrderDetails.of(order, await orchestrator.history(session, order.id))


@router.post(
    "",
    status_code=202,
    summary="Place an order (PENDING until the saga confirms or cancels it)",
    response_description="The order, PENDING; a replay answers the order its key placed.",
    responses={
        202: {
            "headers": {"Location": {"description": "/orders/{id}", "schema": {"type": "string"}}}
        },
        **documented_problems(
            UNAUTHENTICATED,
            IDEMPOTENCY_KEY_REQUIRED,
            *MALFORMED_BODY,
            UnknownSkusError,
            MixedCurrenciesError,
            IdempotencyKeyReusedError,
            BAD_GATEWAY,  # inventory's answer breaks its contract
            UPSTREAM_UNAVAILABLE,
            DEPENDENCY_UNAVAILABLE,  # Kafka away: its saga could not start
            OVERLOADED,  # the saga's backlog too long: it could not finish in time
        ),
    },
)
async def place_order(
    body: OrderCreate,
    customer_id: CustomerId,
    key: IdempotencyKeyHeader,
    database: AppDatabase,
    inventory: InventoryDep,
    orchestrator: OrchestratorDep,
    door: DoorDep,
    response: Response,
) -> OrderDetails:
    # A new order is refused at the door while its saga could not start (Kafka away) or
    # finish in time (the saga's backlog too long): invariant 6. A replay is answered.
    order = await service.place_order(
        database, inventory, orchestrator, customer_id, key, body, admit=door
    )
    tag_current_span(attributes.ORDER_ID, str(order.id))  # how `make trace` finds it
    response.headers["Location"] = f"/orders/{order.id}"
    return await service.customer_order_details(database, customer_id, order.id)


@router.get(
    "",
    responses=documented_problems(InvalidCursorError, UNAUTHENTICATED, VALIDATION_ERROR),
    summary="The customer's orders, newest first",
)
async def list_orders(
    customer_id: CustomerId,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    before: Annotated[
        str | None, Query(max_length=200, description="The `next` of the previous page.")
    ] = None,
) -> OrderPage:
    cursor = OrderCursor.decode(before) if before is not None else None
    # One more than asked tells whether a next page exists.
    orders = await repository.customer_orders(session, customer_id, limit + 1, cursor)
    page = orders[:limit]
    more = len(orders) > limit
    return OrderPage(
        orders=[OrderRead.model_validate(order) for order in page],
        next=OrderCursor.after(page[-1]).encode() if more else None,
    )


@router.get(
    "/{order_id}",
    responses=documented_problems(UNAUTHENTICATED, OrderNotFoundError, VALIDATION_ERROR),
    summary="One of the customer's orders, with its saga's history",
)
async def get_order(
    order_id: uuid.UUID, customer_id: CustomerId, database: AppDatabase
) -> OrderDetails:
    return await service.customer_order_details(database, customer_id, order_id)


@router.post(
    "/{order_id}/cancel",
    responses={
        202: {"model": OrderDetails, "description": "Accepted: PENDING while the saga undoes."},
        **documented_problems(
            UNAUTHENTICATED, OrderNotFoundError, OrderAlreadyConfirmedError, VALIDATION_ERROR
        ),
    },
    summary="Cancel an order that is not confirmed yet (idempotent)",
    response_description="The order, already CANCELLED.",
)
async def cancel_order(
    order_id: uuid.UUID,
    customer_id: CustomerId,
    session: DbSession,
    orchestrator: OrchestratorDep,
    response: Response,
) -> OrderDetails:
    order = await service.cancel_order(session, orchestrator, customer_id, order_id)
    if order.status is OrderStatus.PENDING:
        response.status_code = 202  # accepted: the saga compensates at its next step
    return await _details(session, orchestrator, order)
