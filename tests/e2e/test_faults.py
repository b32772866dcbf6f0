"""Orders under faults still end CONFIRMED or CANCELLED, with stock, payments and the
provider's ledger agreeing: a customer's cancel, a provider that never answers, and the
order service killed in the middle of a burst."""

import asyncio
import signal
import uuid

import httpx
import pytest

from shopflow_stack.shop_client import available, settled
from shopflow_stack.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture
async def provider(shop: Stack):
    """The payment provider simulator's own API (faults, ledger); faults off afterwards."""
    url = f"http://127.0.0.1:{shop.get('payment-provider').port}"
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        yield client
        await client.delete("/admin/faults")


async def ledger(provider: httpx.AsyncClient, order_id: str) -> list[dict]:
    """The provider's succeeded charges for the order (its idempotency key is the order id)."""
    response = await provider.get("/v1/charges", params={"idempotency_key": order_id})
    return [c for c in response.json()["data"] if c["status"] == "succeeded"]


async def order_placed(gateway, auth, sku: str, key: str | None = None) -> httpx.Response:
    return await gateway.post(
        "/api/v1/orders",
        json={"items": [{"sku": sku, "quantity": 1}], "payment_method": "tok_visa"},
        headers={**auth, "Idempotency-Key": key or str(uuid.uuid4())},
    )


async def placed_eventually(gateway, auth, sku: str, key: str) -> dict:
    """What a client does after a 5xx: the same request, same key, after Retry-After."""
    async with asyncio.timeout(60):
        while (response := await order_placed(gateway, auth, sku, key)).status_code != 202:
            assert response.status_code in (502, 503), response.text
            await asyncio.sleep(float(response.headers.get("Retry-After", "0.5")))
    return response.json()


async def saga_reached(gateway, auth, order_id: str, event: str) -> None:
    async with asyncio.timeout(60):
        while True:
            order = (await gateway.get(f"/api/v1/orders/{order_id}", headers=auth)).json()
            if any(entry["event"].startswith(event) for entry in order["saga"]):
                return
            await asyncio.sleep(0.2)


async def assert_consistent(gateway, provider, auth, order: dict) -> None:
    """Invariant 2 for one order: confirmed means charged once and kept; cancelled, nothing."""
    payments = (await gateway.get(f"/api/v1/orders/{order['id']}/payments", headers=auth)).json()
    charges = await ledger(provider, order["id"])
    kept = sum(c["amount"] - c["amount_refunded"] for c in charges)
    if order["status"] == "CONFIRMED":
        assert [p["status"] for p in payments] == ["CHARGED"]
        assert (len(charges), kept) == (1, order["total"])
    else:
        assert all(p["status"] != "CHARGED" for p in payments)
        assert kept == 0


async def test_a_cancel_while_the_provider_is_slow_refunds_and_releases(
    gateway, alice, new_product, provider
):
    sku = await new_product(stock=3)
    await provider.put("/admin/faults", json={"latency_ms": 2000})
    placed = (await order_placed(gateway, alice, sku)).json()
    await saga_reached(gateway, alice, placed["id"], "ChargePayment sent")

    cancel = await gateway.post(f"/api/v1/orders/{placed['id']}/cancel", headers=alice)
    order = await settled(gateway, alice, placed["id"])

    assert cancel.status_code == 202
    assert (order["status"], order["cancellation_reason"]) == ("CANCELLED", "cancelled_by_customer")
    await assert_consistent(gateway, provider, alice, order)
    assert await available(gateway, sku) == 3


async def test_a_provider_that_never_answers_ends_in_a_timed_out_cancellation(
    gateway, alice, new_product, provider
):
    sku = await new_product(stock=3)
    await provider.put("/admin/faults", json={"outage": True})
    placed = (await order_placed(gateway, alice, sku)).json()
    await saga_reached(gateway, alice, placed["id"], "compensating")

    await provider.delete("/admin/faults")  # refunds need the provider back
    order = await settled(gateway, alice, placed["id"])

    assert (order["status"], order["cancellation_reason"]) == ("CANCELLED", "timed_out")
    await assert_consistent(gateway, provider, alice, order)
    assert await available(gateway, sku) == 3


async def test_killing_the_order_service_mid_burst_loses_and_doubles_nothing(
    shop, gateway, alice, new_product, provider
):
    sku = await new_product(stock=100)
    keys = [str(uuid.uuid4()) for _ in range(20)]
    burst = [asyncio.create_task(order_placed(gateway, alice, sku, key)) for key in keys]
    for answered, arriving in enumerate(asyncio.as_completed(burst), start=1):
        await arriving
        if answered == 3:
            break  # some orders are in, the rest in flight: now the crash
    shop.get("order").kill(signal.SIGKILL)
    responses = await asyncio.gather(*burst)
    await shop.up(["order"])

    # A refused request may still have created its order before the crash: a client
    # retries it with the same Idempotency-Key, and gets that order, or a new one.
    placed = [
        response.json()
        if response.status_code == 202
        else await placed_eventually(gateway, alice, sku, key)
        for response, key in zip(responses, keys, strict=True)
    ]
    assert len({order["id"] for order in placed}) == len(keys)
    orders = [await settled(gateway, alice, order["id"]) for order in placed]
    for order in orders:
        await assert_consistent(gateway, provider, alice, order)
    sold = sum(o["items"][0]["quantity"] for o in orders if o["status"] == "CONFIRMED")
    assert await available(gateway, sku) == 100 - sold
