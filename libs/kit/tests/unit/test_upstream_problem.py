"""An `UpstreamUnavailable` a route lets propagate is a 503 problem with `Retry-After`."""

import httpx
import pytest
from fastapi import APIRouter

from shopflow_kit import PROBLEM_BASE, create_app
from shopflow_kit.retry_budget import RetryPolicy
from shopflow_kit.upstream import Upstream, UpstreamPolicy

pytestmark = pytest.mark.unit


def refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused")


async def test_unhandled_unavailable_answers_503_problem_with_retry_after(settings, client_for):
    policy = UpstreamPolicy(retries=RetryPolicy(attempts=1))
    transport = httpx.MockTransport(refuse)
    inventory = Upstream("inventory", "http://inventory", policy, transport=transport)
    router = APIRouter()

    @router.get("/orders/{order_id}/price")
    async def price(order_id: str) -> dict[str, str]:
        return (await inventory.request("GET", "/prices/A-1")).json()

    try:
        async with client_for(create_app(settings, title="order", routers=[router])) as client:
            response = await client.get("/orders/7/price")
    finally:
        await inventory.aclose()

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    assert response.json() == {
        "type": PROBLEM_BASE + "upstream-unavailable",
        "title": "Upstream unavailable",
        "status": 503,
        "detail": "inventory is unavailable: ConnectError",
        "instance": "/orders/7/price",
        "upstream": "inventory",
    }
