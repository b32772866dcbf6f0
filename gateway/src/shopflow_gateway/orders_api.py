"""The customer's orders: place, list, read and cancel them, and see their payments and
notifications, which are only shown once the order service confirms the order is theirs."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from shopflow_gateway.dependencies import Gateway, GatewayDep
from shopflow_gateway.forwarded_bodies import OrderCreate, json_body
from shopflow_gateway.links import ORDERS
from shopflow_gateway.openapi import (
    IDEMPOTENCY_KEY_REQUIRED,
    IDEMPOTENCY_KEY_REUSED,
    INVALID_CURSOR,
    MIXED_CURRENCIES,
    ORDER_ALREADY_CONFIRMED,
    ORDER_ID_LINKS,
    ORDER_NOT_FOUND,
    UNKNOWN_SKU,
)
from shopflow_gateway.ownership import order_as_owner
from shopflow_gateway.proxy import call_upstream, forward, relay
from shopflow_gateway.security import RATE_LIMITED, CurrentCaller, enforce_rate_limit
from shopflow_kit import Caller, Upstream, documented_problems
from shopflow_kit.problems import (
    BAD_GATEWAY,
    DEPENDENCY_UNAVAILABLE,
    MALFORMED_BODY,
    UNAUTHENTICATED,
    UPSTREAM_UNAVAILABLE,
    VALIDATION_ERROR,
)

router = APIRouter(
    prefix="/api/v1/orders", tags=["orders"], dependencies=[Depends(enforce_rate_limit)]
)

OrderId = uuid.UUID
NOT_FOUND = (ORDER_NOT_FOUND, VALIDATION_ERROR)
ORDER = {"items": [{"sku": "MUG-001", "quantity": 2}], "payment_method": "tok_visa"}
COMMON = (UNAUTHENTICATED, RATE_LIMITED, UPSTREAM_UNAVAILABLE)
# Placing an order asks inventory for prices: the order service's 5xx there speak for
# inventory (or refuse at the door), so only no answer at all counts (ADR 0009).
PLACING_COUNTS: frozenset[int] = frozenset()


@router.post(
    "",
    status_code=202,
    operation_id="placeOrder",
    summary="Place an order; PENDING until the saga confirms or cancels it",
    description="The same `Idempotency-Key` with the same body answers the order it placed; "
    "each sku may appear once.",
    openapi_extra=json_body(OrderCreate, ORDER),
    responses={
        202: {"description": "The order, PENDING", "links": ORDER_ID_LINKS},
        **documented_problems(
            IDEMPOTENCY_KEY_REQUIRED,
            IDEMPOTENCY_KEY_REUSED,
            UNKNOWN_SKU,
            MIXED_CURRENCIES,
            *MALFORMED_BODY,
            BAD_GATEWAY,  # inventory's answer broke its contract
            DEPENDENCY_UNAVAILABLE,  # the order service's database or Kafka
            *COMMON,
        ),
    },
)
async def place_order(
    request: Request,
    gateway: GatewayDep,
    caller: CurrentCaller,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=255,
            pattern=r"^[\x20-\x7e]+$",
            description="Required: 1 to 255 printable ASCII characters, one per order you "
            "mean to place",
        ),
    ] = None,
) -> Response:
    return await forward(
        request,
        gateway.services.order,
        "/orders",
        caller,
        ORDERS,
        unavailable_statuses=PLACING_COUNTS,
    )


@router.get(
    "",
    operation_id="listOrders",
    summary="My orders, newest first",
    responses=documented_problems(INVALID_CURSOR, VALIDATION_ERROR, *COMMON),
)
async def list_orders(
    request: Request,
    gateway: GatewayDep,
    caller: CurrentCaller,
    limit: Annotated[int | None, Query(ge=1, le=100, description="Page size, 20 if absent")] = None,
    before: Annotated[
        str | None, Query(max_length=200, description="`next` of the page before")
    ] = None,
) -> Response:
    return await forward(request, gateway.services.order, "/orders", caller, ORDERS)


@router.get(
    "/{order_id}",
    operation_id="getOrder",
    summary="One of my orders, with its saga history",
    responses=documented_problems(*NOT_FOUND, *COMMON),
)
async def get_order(
    order_id: OrderId, request: Request, gateway: GatewayDep, caller: CurrentCaller
) -> Response:
    return await forward(request, gateway.services.order, f"/orders/{order_id}", caller, ORDERS)


@router.post(
    "/{order_id}/cancel",
    operation_id="cancelOrder",
    summary="Cancel an order that is not confirmed yet (idempotent)",
    responses=documented_problems(*NOT_FOUND, ORDER_ALREADY_CONFIRMED, *COMMON),
)
async def cancel_order(
    order_id: OrderId, request: Request, gateway: GatewayDep, caller: CurrentCaller
) -> Response:
    path = f"/orders/{order_id}/cancel"
    return await forward(request, gateway.services.order, path, caller, ORDERS)


@router.get(
    "/{order_id}/payments",
    operation_id="listPayments",
    tags=["payments"],
    summary="My order's payment (none, or the one it has)",
    responses=documented_problems(*NOT_FOUND, *COMMON),
)
async def list_payments(
    order_id: OrderId, request: Request, gateway: GatewayDep, caller: CurrentCaller
) -> Response:
    upstream = gateway.services.payment
    return await _for_owner(request, gateway, upstream, "/payments", order_id, caller)


@router.get(
    "/{order_id}/notifications",
    operation_id="listNotifications",
    tags=["notifications"],
    summary="The notifications sent for my order, oldest first",
    responses=documented_problems(*NOT_FOUND, *COMMON),
)
async def list_notifications(
    order_id: OrderId, request: Request, gateway: GatewayDep, caller: CurrentCaller
) -> Response:
    upstream = gateway.services.notification
    return await _for_owner(request, gateway, upstream, "/notifications", order_id, caller)


async def _for_owner(
    request: Request,
    gateway: Gateway,
    upstream: Upstream,
    path: str,
    order_id: OrderId,
    caller: Caller,
) -> Response:
    """`upstream`'s list for the order, once the order service shows it to this caller."""
    order = await order_as_owner(request, gateway, order_id, caller)
    if order.status_code != 200:
        return relay(order, ORDERS)
    await order.aclose()
    target = f"{path}?order_id={order_id}"
    return relay(await call_upstream(request, upstream, target, caller, method="GET"))
