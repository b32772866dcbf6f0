"""The live console on the running stack: the gateway serves the page, and every call the
page's script makes answers as the page expects, through the gateway's real auth: log
in, products, orders approved / declined / out of stock with their saga steps, an
order's trace as waterfall rows, and a provider outage that opens the payment breaker."""

import asyncio
import re
import uuid

import httpx
import pytest

from shopflow_stack.shop_client import settled

pytestmark = pytest.mark.e2e

SAGA_SERVICES = {"gateway", "order", "inventory", "payment"}


@pytest.fixture
async def no_faults(gateway, admin):
    yield
    await gateway.delete("/api/v1/admin/provider/faults", headers=admin)


async def place(gateway, auth, sku: str, quantity: int = 1, card: str = "tok_visa") -> dict:
    """As the page's order form does it: a fresh Idempotency-Key per order."""
    response = await gateway.post(
        "/api/v1/orders",
        json={"items": [{"sku": sku, "quantity": quantity}], "payment_method": card},
        headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 202, response.text
    return response.json()


async def test_the_gateway_serves_the_page_and_everything_it_loads(gateway):
    page = await gateway.get("/console/")
    home = await gateway.get("/")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert (home.status_code, home.headers["location"]) == (307, "/console/")
    for asset in re.findall(r'(?:src|href)="([^"#]+)"', page.text):
        loaded = await gateway.get(f"/console/{asset}")
        assert loaded.status_code == 200, asset
    labelled = set(re.findall(r'<label for="([^"]+)"', page.text))
    inputs = set(re.findall(r'<(?:input|select) id="([^"]+)"', page.text))
    assert inputs - {"outage"} <= labelled  # the checkbox sits inside its label


async def test_the_console_knows_what_this_stack_can_show(gateway, shop):
    features = (await gateway.get("/api/v1/console")).json()

    assert features["can_log_in"] is True
    assert features["provider_faults"] is True
    assert features["traces"] is shop.config.observability.enabled
    async with httpx.AsyncClient(timeout=10) as browser:
        for url in features["dashboards"].values():
            assert (await browser.get(url)).status_code == 200, url


async def test_orders_placed_from_the_console_show_their_saga_and_their_trace(
    gateway, admin, new_product, shop
):
    sku = await new_product(stock=2)
    approved = await place(gateway, admin, sku)
    declined = await place(gateway, admin, sku, card="tok_chargeDeclined")
    out_of_stock = await place(gateway, admin, sku, quantity=3)

    mine = (await gateway.get("/api/v1/orders?limit=10", headers=admin)).json()["orders"]
    outcomes = {
        order["id"]: await settled(gateway, admin, order["id"])
        for order in (approved, declined, out_of_stock)
    }

    assert {approved["id"], declined["id"], out_of_stock["id"]} <= {o["id"] for o in mine}
    reached = [(o["status"], o["cancellation_reason"]) for o in outcomes.values()]
    assert reached == [
        ("CONFIRMED", None),
        ("CANCELLED", "payment_declined"),
        ("CANCELLED", "out_of_stock"),
    ]
    events = [entry["event"] for entry in outcomes[approved["id"]]["saga"]]
    assert any(event.startswith("PaymentCharged") for event in events), events
    if not shop.config.observability.enabled:
        return
    trace = await whole_trace(gateway, admin, approved["id"])
    assert set(trace["services"]) >= SAGA_SERVICES
    assert trace["rows"][0]["depth"] == 0
    assert all(0 <= row["start_ms"] <= trace["duration_ms"] for row in trace["rows"])


async def whole_trace(gateway, auth, order_id: str) -> dict:
    """The order's trace once every saga service's spans have reached the backend (each
    exports in its own batches, so they arrive apart; at load, seconds apart)."""
    async with asyncio.timeout(60):
        while True:
            answer = await gateway.get(f"/api/v1/orders/{order_id}/trace", headers=auth)
            if answer.status_code == 200 and set(answer.json()["services"]) >= SAGA_SERVICES:
                return dict(answer.json())
            assert answer.status_code in (200, 404), answer.text
            await asyncio.sleep(0.5)


async def test_someone_elses_trace_is_not_found(gateway, admin, alice, new_product):
    order = await place(gateway, admin, await new_product(stock=1))

    answer = await gateway.get(f"/api/v1/orders/{order['id']}/trace", headers=alice)

    assert (answer.status_code, answer.json()["type"].rsplit("/", 1)[-1]) == (
        404,
        "order-not-found",
    )


async def test_a_provider_outage_switched_from_the_console_opens_the_payment_breaker(
    gateway, admin, alice, new_product, no_faults
):
    sku = await new_product(stock=5)
    refused = await gateway.put("/api/v1/admin/provider/faults", json={}, headers=alice)
    switched = await gateway.put(
        "/api/v1/admin/provider/faults", json={"outage": True}, headers=admin
    )
    order = await place(gateway, admin, sku)

    state = await breaker_opened(gateway, admin)
    cleared = await gateway.delete("/api/v1/admin/provider/faults", headers=admin)

    assert refused.status_code == 403
    assert (switched.status_code, switched.json()["outage"]) == (200, True)
    assert state["faults"]["outage"] is True
    assert cleared.status_code == 204
    assert (await provider_state(gateway, admin))["faults"]["outage"] is False
    assert (await settled(gateway, admin, order["id"]))["status"] in ("CONFIRMED", "CANCELLED")


async def breaker_opened(gateway, auth) -> dict:
    """The provider's state as the console polls it, once the payment breaker is open."""
    async with asyncio.timeout(60):
        while True:
            state = await provider_state(gateway, auth)
            if state["breaker"] == "open":
                return state
            await asyncio.sleep(0.5)


async def provider_state(gateway, auth) -> dict:
    answer = await gateway.get("/api/v1/admin/provider", headers=auth)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_bad_fault_switches_are_refused_with_the_providers_problem(gateway, admin):
    answer = await gateway.put(
        "/api/v1/admin/provider/faults", json={"error_rate": 2}, headers=admin
    )

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
