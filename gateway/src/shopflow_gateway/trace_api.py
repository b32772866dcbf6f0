"""`GET /api/v1/orders/{id}/trace`: the order's trace from the trace backend, as waterfall rows.

The order service tags the span that placed an order with `shopflow.order.id`; Jaeger's
query API finds the traces holding it, and the largest is the order's story (a second
one is the same order placed again with its Idempotency-Key). Only the order's owner
sees it: the order service says whose it is, as for every customer route.
"""

import json
import time
import uuid

from fastapi import APIRouter, Depends, Request, Response

from shopflow_gateway.dependencies import GatewayDep
from shopflow_gateway.links import ORDERS
from shopflow_gateway.openapi import ORDER_NOT_FOUND
from shopflow_gateway.ownership import order_as_owner
from shopflow_gateway.proxy import relay
from shopflow_gateway.security import RATE_LIMITED, CurrentCaller, enforce_rate_limit
from shopflow_gateway.waterfall import Waterfall, waterfall
from shopflow_kit import Problem, ProblemType, documented_problems
from shopflow_kit.attributes import ORDER_ID
from shopflow_kit.problems import BAD_GATEWAY, UNAUTHENTICATED, UPSTREAM_UNAVAILABLE

TRACES_NOT_CONFIGURED = ProblemType(404, "traces-not-configured", "No trace backend")
TRACE_NOT_FOUND = ProblemType(404, "trace-not-found", "Trace not found")
LOOKBACK_US = 48 * 3600 * 1_000_000

router = APIRouter(
    prefix="/api/v1/orders", tags=["orders"], dependencies=[Depends(enforce_rate_limit)]
)


@router.get(
    "/{order_id}/trace",
    response_model=Waterfall,
    summary="My order's trace, span by span, as a waterfall",
    responses=documented_problems(
        ORDER_NOT_FOUND,
        TRACES_NOT_CONFIGURED,
        TRACE_NOT_FOUND,
        BAD_GATEWAY,
        UNAUTHENTICATED,
        RATE_LIMITED,
        UPSTREAM_UNAVAILABLE,
    ),
)
async def order_trace(
    order_id: uuid.UUID, request: Request, gateway: GatewayDep, caller: CurrentCaller
) -> Waterfall | Response:
    traces = gateway.console.traces
    if traces is None:
        raise Problem(TRACES_NOT_CONFIGURED, "This gateway has no GATEWAY_TRACES_URL.")
    owned = await order_as_owner(request, gateway, order_id, caller)
    if owned.status_code != 200:
        return relay(owned, ORDERS)
    await owned.aclose()
    now_us = int(time.time() * 1_000_000)
    params = {
        "service": "order",
        "tags": json.dumps({ORDER_ID: str(order_id)}),
        "start": now_us - LOOKBACK_US,
        "end": now_us,
        "limit": 20,
    }
    answer = await traces.request("GET", "/api/traces", params=params)
    if answer.status_code != 200:
        raise Problem(BAD_GATEWAY, f"The trace backend answered {answer.status_code}.")
    try:
        found = answer.json()["data"] or []
    except (ValueError, KeyError, TypeError) as broken:
        raise Problem(BAD_GATEWAY, "The trace backend's answer is not its JSON.") from broken
    if not found:
        detail = (
            "No trace holds this order yet: spans reach the backend about a second after "
            "they end, and an order that was not sampled has none."
        )
        raise Problem(TRACE_NOT_FOUND, detail)
    return waterfall(max(found, key=lambda trace: len(trace["spans"])))
