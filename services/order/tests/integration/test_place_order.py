import asyncio
import uuid

import pytest

from shopflow_testing.callers import signed_in

pytestmark = pytest.mark.integration


async def test_an_order_is_placed_pending_at_inventory_prices(client, customer, inventory, place):
    inventory.stock("MUG-1", 1999, name="Mug")
    inventory.stock("TEA-7", 500, name="Tea")

    response = await place({"TEA-7": 1, "MUG-1": 2})

    assert response.status_code == 202
    order = response.json()
    assert response.headers["location"] == f"/orders/{order['id']}"
    assert order["status"] == "PENDING"
    assert order["items"] == [
        {"sku": "MUG-1", "name": "Mug", "quantity": 2, "unit_price": 1999, "line_total": 3998},
        {"sku": "TEA-7", "name": "Tea", "quantity": 1, "unit_price": 500, "line_total": 500},
    ]
    assert (order["total"], order["currency"]) == (4498, "EUR")
    assert order["cancellation_reason"] is None
    assert "payment_method" not in order
    assert [(h["step"], h["event"]) for h in order["saga"]] == [
        ("reserve_stock", "ReserveStock sent")
    ]
    fetched = await client.get(response.headers["location"], headers=signed_in("order", customer))
    assert fetched.json() == order


async def test_a_replay_returns_the_same_order_without_asking_inventory_again(
    client, customer, inventory, place, sent
):
    inventory.stock("MUG-1", 1999)
    first = await place({"MUG-1": 1}, key="order-42")
    inventory.stock("MUG-1", 2500)  # a new price must not change an order already placed
    # The same request, written differently: other key order and spacing.
    same_body = '{ "payment_method":"tok_visa",  "items":[{"quantity":1,"sku":"MUG-1"}] }'

    replay = await client.post(
        "/orders",
        content=same_body,
        headers=signed_in("order", customer)
        | {"Idempotency-Key": "order-42", "Content-Type": "application/json"},
    )

    assert replay.status_code == 202
    assert replay.json() == first.json()
    assert replay.headers["location"] == first.headers["location"]
    assert len(inventory.lookups) == 1
    listed = await client.get("/orders", headers=signed_in("order", customer))
    assert len(listed.json()["orders"]) == 1
    assert await sent(first.json()["id"]) == ["ReserveStock"]  # one saga, started once


async def test_a_key_reused_for_a_different_request_is_refused(inventory, place):
    inventory.stock("MUG-1", 1999)
    await place({"MUG-1": 1}, key="order-43")

    response = await place({"MUG-1": 2}, key="order-43")

    assert response.status_code == 422
    assert response.json()["type"].endswith("/idempotency-key-reused")


async def test_keys_belong_to_one_customer(inventory, place):
    inventory.stock("MUG-1", 1999)

    mine = await place({"MUG-1": 1}, key="same-key")
    theirs = await place({"MUG-1": 1}, customer_id=f"other-{uuid.uuid4()}", key="same-key")

    assert theirs.status_code == 202
    assert theirs.json()["id"] != mine.json()["id"]


async def test_concurrent_requests_with_one_key_place_one_order(
    client, customer, inventory, place, sent
):
    inventory.stock("MUG-1", 1999)

    responses = await asyncio.gather(*(place({"MUG-1": 1}, key="double-click") for _ in range(10)))

    assert [r.status_code for r in responses] == [202] * 10
    assert len({r.json()["id"] for r in responses}) == 1
    listed = await client.get("/orders", headers=signed_in("order", customer))
    assert len(listed.json()["orders"]) == 1
    assert await sent(responses[0].json()["id"]) == ["ReserveStock"]
