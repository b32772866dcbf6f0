"""Placing orders through the public API ends every order CONFIRMED or CANCELLED, with
money, stock and the customer's notification agreeing with the outcome."""

import asyncio
import uuid

import pytest

from shopflow_stack.shop_client import available, place_order, settled, token_for

pytestmark = pytest.mark.e2e


def events(order: dict) -> list[str]:
    return [entry["event"] for entry in order["saga"]]


async def notifications_of(gateway, auth, order_id: str) -> list[dict]:
    """The order's notifications once there is at least one (they arrive by choreography)."""
    async with asyncio.timeout(60):
        while True:
            response = await gateway.get(f"/api/v1/orders/{order_id}/notifications", headers=auth)
            if response.status_code == 200 and response.json():
                return response.json()
            await asyncio.sleep(0.2)


async def payments_in_details(gateway, auth, order_id: str) -> list[dict]:
    """The payments part of the order's details. A part that misses its deadline is listed
    as unavailable, by design, which a busy machine can cause: read until it answers."""
    async with asyncio.timeout(60):
        while True:
            response = await gateway.get(f"/api/v1/orders/{order_id}/details", headers=auth)
            details = response.json()
            if "payments" not in details["unavailable"]:
                return list(details["payments"])
            await asyncio.sleep(0.2)


async def test_a_card_payment_confirms_the_order_charges_once_and_sells_the_stock(
    gateway, alice, new_product
):
    sku = await new_product(stock=5, price=1250)

    placed = await place_order(gateway, alice, [{"sku": sku, "quantity": 2}], "tok_visa")
    order = await settled(gateway, alice, placed["id"])

    assert (order["status"], order["total"]) == ("CONFIRMED", 2500)
    assert events(order)[:1] == ["ReserveStock sent"]
    assert "ChargePayment sent" in events(order)
    assert events(order)[-1] == "completed"
    payments = await payments_in_details(gateway, alice, order["id"])
    assert [(p["status"], p["amount"]) for p in payments] == [("CHARGED", 2500)]
    assert await available(gateway, sku) == 3
    [notification] = await notifications_of(gateway, alice, order["id"])
    assert notification["kind"] == "ORDER_CONFIRMED"


async def test_a_declined_card_cancels_the_order_and_gives_the_stock_back(
    gateway, alice, new_product
):
    sku = await new_product(stock=5)

    placed = await place_order(gateway, alice, [{"sku": sku, "quantity": 2}], "tok_chargeDeclined")
    order = await settled(gateway, alice, placed["id"])

    assert (order["status"], order["cancellation_reason"]) == ("CANCELLED", "payment_declined")
    assert "compensating: ReleaseStock" in events(order)
    assert await available(gateway, sku) == 5
    [notification] = await notifications_of(gateway, alice, order["id"])
    assert notification["kind"] == "ORDER_CANCELLED"


async def test_more_than_is_in_stock_cancels_the_order_without_charging(
    gateway, alice, new_product
):
    sku = await new_product(stock=1)

    placed = await place_order(gateway, alice, [{"sku": sku, "quantity": 2}], "tok_visa")
    order = await settled(gateway, alice, placed["id"])

    assert (order["status"], order["cancellation_reason"]) == ("CANCELLED", "out_of_stock")
    assert await payments_in_details(gateway, alice, order["id"]) == []
    assert await available(gateway, sku) == 1


async def test_a_retried_request_places_one_order(gateway, alice, new_product):
    sku = await new_product(stock=5)
    request = {"items": [{"sku": sku, "quantity": 1}], "payment_method": "tok_visa"}
    headers = {**alice, "Idempotency-Key": str(uuid.uuid4())}

    first, second = await asyncio.gather(
        gateway.post("/api/v1/orders", json=request, headers=headers),
        gateway.post("/api/v1/orders", json=request, headers=headers),
    )

    assert first.json()["id"] == second.json()["id"]
    await settled(gateway, alice, first.json()["id"])
    assert await available(gateway, sku) == 4


async def test_a_customer_never_sees_another_customers_order(gateway, alice, new_product):
    sku = await new_product(stock=1)
    placed = await place_order(gateway, alice, [{"sku": sku, "quantity": 1}], "tok_visa")
    bob = await token_for(gateway, "bob")

    response = await gateway.get(f"/api/v1/orders/{placed['id']}", headers=bob)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_shop_takes_orders_while_notification_is_down_and_it_catches_up(
    shop, gateway, alice, new_product
):
    sku = await new_product(stock=1)
    await asyncio.to_thread(shop.down, ["notification"])
    try:
        placed = await place_order(gateway, alice, [{"sku": sku, "quantity": 1}], "tok_visa")
        order = await settled(gateway, alice, placed["id"])
        assert order["status"] == "CONFIRMED"
    finally:
        await shop.up(["notification"])

    [notification] = await notifications_of(gateway, alice, order["id"])
    assert notification["kind"] == "ORDER_CONFIRMED"
