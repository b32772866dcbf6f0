"""Breakers and retries per upstream, seen from the service's side: calls it did or did not get."""

import asyncio
import base64
import uuid

import pytest
from fastapi import FastAPI, Response

from shopflow_kit import PROBLEM_BASE, RetryPolicy
from shopflow_testing.servers import running_server

from .conftest import TEST_POLICY

pytestmark = pytest.mark.integration


async def test_a_dead_upstream_opens_the_breaker_and_recovery_closes_it(gateway_for, services):
    policy = TEST_POLICY.model_copy(update={"breaker_reset_seconds": 3})
    gateway = await gateway_for(upstream_policy=policy)
    alice = gateway.token("alice")
    order = (
        await gateway.client.post(
            "/api/v1/orders",
            json={"items": [{"sku": "MUG-001", "quantity": 1}], "payment_method": "tok_visa"},
            headers=alice | {"Idempotency-Key": "breaker-1"},
        )
    ).json()["id"]
    notifications = f"/api/v1/orders/{order}/notifications"

    await services.notification.stop()
    failed = [await gateway.client.get(notifications, headers=alice) for _ in range(3)]
    await services.notification.start()  # back, but the breaker does not know yet
    while_open = await gateway.client.get(notifications, headers=alice)

    assert [a.status_code for a in failed] == [503, 503, 503]
    assert while_open.status_code == 503
    assert while_open.json()["type"] == PROBLEM_BASE + "upstream-unavailable"
    assert "circuit open" in while_open.json()["detail"]
    assert int(while_open.headers["retry-after"]) >= 1
    assert services.notification.requests_seen() == 0
    assert gateway.metric("upstream_breaker_state", upstream="notification", state="open") == 1

    for _ in range(100):  # the trial call comes after breaker_reset_seconds
        recovered = await gateway.client.get(notifications, headers=alice)
        if recovered.status_code == 200:
            break
        await asyncio.sleep(0.1)
    assert recovered.status_code == 200
    assert services.notification.requests_seen() >= 1
    assert gateway.metric("upstream_breaker_state", upstream="notification", state="open") == 0


def failing_inventory(calls: list[str]) -> FastAPI:
    app = FastAPI()

    @app.get("/products/{sku}")
    async def product(sku: str) -> Response:
        calls.append(sku)
        return Response('{"status": 503}', 503, media_type="application/json")

    return app


async def test_retries_never_exceed_the_budget(gateway_for):
    calls: list[str] = []
    budget = RetryPolicy(
        attempts=3,
        budget_ratio=0.1,
        min_retries_per_window=2,
        window_seconds=60,
        backoff_seconds=0.001,
        max_backoff_seconds=0.001,
    )
    policy = TEST_POLICY.model_copy(update={"breaker_fail_max": 1000, "retries": budget})
    async with running_server(failing_inventory(calls)) as url:
        gateway = await gateway_for(inventory_url=url, upstream_policy=policy)

        answers = [await gateway.client.get("/api/v1/products/MUG-001") for _ in range(20)]

    assert {a.status_code for a in answers} == {503}  # the service's answer, passed on
    retries = len(calls) - 20
    assert 0 < retries <= max(2, 0.1 * 20)  # unbudgeted, 3 attempts would make 40
    assert gateway.metric("upstream_retries_total", upstream="inventory") == retries


def bad_cursor() -> str:
    """A `before` the order service never handed out: a time before year 1 in UTC."""
    position = f"0001-01-01T00:00:00+01:00|{uuid.uuid4()}"
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


async def test_one_customer_s_bad_cursors_do_not_close_the_orders_to_everyone(gateway):
    mallory, alice = gateway.token("mallory"), gateway.token("alice")

    bad = [
        await gateway.client.get("/api/v1/orders", params={"before": bad_cursor()}, headers=mallory)
        for _ in range(50)
    ]
    theirs = await gateway.client.get("/api/v1/orders", headers=alice)

    assert {answer.status_code for answer in bad} == {400}
    assert bad[0].json()["type"] == PROBLEM_BASE + "invalid-cursor"
    assert theirs.status_code == 200
    assert gateway.metric("upstream_breaker_state", upstream="order", state="open") == 0


def slow_payments(calls: list[str]) -> FastAPI:
    """The payment service, healthy but slower than the details' wait for it."""
    app = FastAPI()

    @app.get("/payments")
    async def payments(order_id: str) -> list[dict[str, str]]:
        calls.append(order_id)
        await asyncio.sleep(2)  # its slowness is what is simulated; nothing to wait for
        return []

    return app


async def test_a_slow_service_the_details_stop_waiting_for_keeps_its_breaker_closed(gateway_for):
    calls: list[str] = []
    async with running_server(slow_payments(calls)) as url:
        gateway = await gateway_for(payment_url=url, details_part_timeout_seconds=0.5)
        alice = gateway.token("alice")
        order = (
            await gateway.client.post(
                "/api/v1/orders",
                json={"items": [{"sku": "MUG-001", "quantity": 1}], "payment_method": "tok_visa"},
                headers=alice | {"Idempotency-Key": uuid.uuid4().hex},
            )
        ).json()

        details = [
            await gateway.client.get(f"/api/v1/orders/{order['id']}/details", headers=alice)
            for _ in range(3 * TEST_POLICY.breaker_fail_max)
        ]

    assert {answer.status_code for answer in details} == {200}
    # Notifications may miss so short a wait too, on a busy machine: payments always do.
    assert all("payments" in answer.json()["unavailable"] for answer in details)
    assert len(calls) == len(details)  # none short-circuited: the breaker stayed closed
    assert gateway.metric("upstream_breaker_state", upstream="payment", state="open") == 0


async def test_an_inventory_outage_leaves_orders_readable_and_cancellable(
    gateway, services, place_order
):
    alice = gateway.token("alice")
    placed = (await place_order(alice)).json()

    await services.inventory.stop()
    try:
        refused = [(await place_order(alice)) for _ in range(2 * TEST_POLICY.breaker_fail_max)]
        read = await gateway.client.get(f"/api/v1/orders/{placed['id']}", headers=alice)
        cancelled = await gateway.client.post(
            f"/api/v1/orders/{placed['id']}/cancel", headers=alice
        )
    finally:
        await services.inventory.start()

    assert {answer.status_code for answer in refused} == {503}
    assert all("retry-after" in answer.headers for answer in refused)
    assert read.status_code == 200
    assert cancelled.status_code in (200, 202)
    assert gateway.metric("upstream_breaker_state", upstream="order", state="open") == 0
