"""A customer's cancellation goes through the saga: accepted until payment is charged,
carried out by compensating at the saga's next step, refused after."""

import uuid

import pytest

from shopflow_contracts.inventory import (
    CommitStock,
    ReleaseStock,
    ReserveStock,
    StockReleased,
    StockReserved,
)
from shopflow_contracts.order import OrderCancelled
from shopflow_contracts.payment import ChargePayment, PaymentCharged
from shopflow_testing.callers import signed_in

pytestmark = pytest.mark.integration


@pytest.fixture
def cancel(client, customer):
    async def post(order_id, customer_id=None):
        headers = signed_in("order", customer_id or customer)
        return await client.post(f"/orders/{order_id}/cancel", headers=headers)

    return post


async def test_cancelling_while_reserving_releases_the_stock_then_cancels(
    inventory, place, bus, cancel, settled, sent
):
    inventory.stock("MUG-1", 1999)
    order_id = (await place({"MUG-1": 1})).json()["id"]
    reserve = await bus.next(order_id, ReserveStock)

    first = await cancel(order_id)
    second = await cancel(order_id)
    await bus.answer(reserve, StockReserved(order_id=order_id))
    release = await bus.next(order_id, ReleaseStock)
    await bus.answer(release, StockReleased(order_id=order_id))

    assert first.status_code == second.status_code == 202
    assert first.json()["status"] == "PENDING"
    assert first.json()["saga"][-1]["event"] == "cancel requested"
    assert second.json() == first.json()
    assert await settled(order_id) == ("CANCELLED", "cancelled_by_customer")
    assert (await bus.next(order_id, OrderCancelled)).payload["reason"] == "cancelled_by_customer"
    assert await sent(order_id) == ["ReserveStock", "ReleaseStock", "OrderCancelled"]
    again = await cancel(order_id)
    assert again.status_code == 200
    assert again.json()["status"] == "CANCELLED"


async def test_a_charged_order_cannot_be_cancelled(client, customer, inventory, place, bus, cancel):
    inventory.stock("MUG-1", 1999)
    order_id = (await place({"MUG-1": 1})).json()["id"]
    await bus.answer(await bus.next(order_id, ReserveStock), StockReserved(order_id=order_id))
    charged = PaymentCharged(
        order_id=order_id, payment_id=uuid.uuid4(), amount=1999, currency="EUR"
    )
    await bus.answer(await bus.next(order_id, ChargePayment), charged)
    await bus.next(order_id, CommitStock)  # past the point of no return

    response = await cancel(order_id)

    assert response.status_code == 409
    assert response.json()["type"].endswith("/order-already-confirmed")
    order = await client.get(f"/orders/{order_id}", headers=signed_in("order", customer))
    assert order.json()["status"] == "CONFIRMED"


async def test_another_customers_order_cannot_be_cancelled(
    client, customer, inventory, place, cancel
):
    inventory.stock("MUG-1", 1999)
    order_id = (await place({"MUG-1": 1})).json()["id"]

    response = await cancel(order_id, customer_id="mallory")

    assert response.status_code == 404
    order = await client.get(f"/orders/{order_id}", headers=signed_in("order", customer))
    assert order.json()["saga"][-1]["event"] == "ReserveStock sent"
