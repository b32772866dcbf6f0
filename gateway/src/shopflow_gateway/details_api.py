"""`GET /api/v1/orders/{id}/details`: the order with its payments and notifications, in one call.

The order comes first: it is the ownership check, and without it there is nothing to
show (its errors pass through; the order service down is a 503). Payments and
notifications are then fetched concurrently, each given `details_part_timeout_seconds`;
one that cannot be had is null and named in `unavailable`: the answer degrades, it
does not fail.
"""

import asyncio
import json
import uuid
from typing import Any

import httpx
from fastapi import APIRouter, Depends, Request, Response

from shopflow_gateway.dependencies import Gateway, GatewayDep
from shopflow_gateway.links import ORDERS
from shopflow_gateway.openapi import ORDER_NOT_FOUND
from shopflow_gateway.ownership import order_as_owner
from shopflow_gateway.proxy import call_upstream, read_whole, relay
from shopflow_gateway.schemas import OrderDetails, OrderPart
from shopflow_gateway.security import RATE_LIMITED, CurrentCaller, enforce_rate_limit
from shopflow_kit import Caller, Problem, Upstream, UpstreamUnavailable, documented_problems
from shopflow_kit.problems import (
    BAD_GATEWAY,
    UNAUTHENTICATED,
    UPSTREAM_UNAVAILABLE,
    VALIDATION_ERROR,
)

router = APIRouter(
    prefix="/api/v1/orders", tags=["orders"], dependencies=[Depends(enforce_rate_limit)]
)


@router.get(
    "/{order_id}/details",
    operation_id="getOrderDetails",
    response_model=OrderDetails,
    summary="My order with its payments and notifications; degrades if those are down",
    responses=documented_problems(
        ORDER_NOT_FOUND,
        VALIDATION_ERROR,
        BAD_GATEWAY,
        UNAUTHENTICATED,
        RATE_LIMITED,
        UPSTREAM_UNAVAILABLE,
    ),
)
async def order_details(
    order_id: uuid.UUID, request: Request, gateway: GatewayDep, caller: CurrentCaller
) -> OrderDetails | Response:
    answer = await order_as_owner(request, gateway, order_id, caller)
    if answer.status_code != 200:
        return relay(answer, ORDERS)
    try:
        order = json.loads(await read_whole(answer))
    except (httpx.HTTPError, ValueError) as broken:
        detail = "The order service's answer was cut short or is not JSON."
        raise Problem(BAD_GATEWAY, detail) from broken
    services = gateway.services
    payments, notifications = await asyncio.gather(
        _part(request, gateway, services.payment, f"/payments?order_id={order_id}", caller),
        _part(
            request, gateway, services.notification, f"/notifications?order_id={order_id}", caller
        ),
    )
    parts: dict[OrderPart, list[dict[str, Any]] | None] = {
        "payments": payments,
        "notifications": notifications,
    }
    return OrderDetails(
        order=order,
        payments=payments,
        notifications=notifications,
        unavailable=[name for name, found in parts.items() if found is None],
    )


async def _part(
    request: Request, gateway: Gateway, upstream: Upstream, target: str, caller: Caller
) -> list[dict[str, Any]] | None:
    """The service's list, or None if it cannot give one in time."""
    try:
        async with asyncio.timeout(gateway.settings.details_part_timeout_seconds):
            answer = await call_upstream(request, upstream, target, caller, method="GET")
            body = await read_whole(answer)
    except (UpstreamUnavailable, TimeoutError, httpx.HTTPError):
        return None
    if answer.status_code != 200:
        return None
    try:
        found = json.loads(body)
    except ValueError:
        return None
    return found if isinstance(found, list) else None
