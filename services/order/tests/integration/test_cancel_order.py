import uuid

import pytest
from sqlalchemy import update

from shopflow_kit import Database
from shopflow_order.models import Order, OrderStatus

pytestmark = pytest.mark.integration


async def confirm(settings, order_id):
    """What the saga will do once payment is charged."""
    database = Database(settings.database_url)
    try:
        async with database.transaction() as session:
            await session.execute(
                update(Order).where(Order.id == order_id).values(status=OrderStatus.CONFIRMED)
            )
    finally:
        await database.dispose()


async def test_a_pending_order_is_cancelled_by_its_customer(client, customer, inventory, place):
    inventory.stock("MUG-1", 1999)
    placed = (await place({"MUG-1": 1})).json()

    response = await client.post(
        f"/orders/{placed['id']}/cancel", headers={"X-Customer-Id": customer}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "CANCELLED"
    assert response.json()["cancellation_reason"] == "cancelled_by_customer"
    assert response.json()["updated_at"] > placed["updated_at"]
    assert (
        await client.get(f"/orders/{placed['id']}", headers={"X-Customer-Id": customer})
    ).json() == response.json()


async def test_cancelling_twice_answers_the_cancelled_order(client, customer, inventory, place):
    inventory.stock("MUG-1", 1999)
    order_id = (await place({"MUG-1": 1})).json()["id"]
    first = await client.post(f"/orders/{order_id}/cancel", headers={"X-Customer-Id": customer})

    second = await client.post(f"/orders/{order_id}/cancel", headers={"X-Customer-Id": customer})

    assert second.status_code == 200
    assert second.json() == first.json()


async def test_a_confirmed_order_cannot_be_cancelled(client, customer, settings, inventory, place):
    inventory.stock("MUG-1", 1999)
    order_id = (await place({"MUG-1": 1})).json()["id"]
    await confirm(settings, uuid.UUID(order_id))

    response = await client.post(f"/orders/{order_id}/cancel", headers={"X-Customer-Id": customer})

    assert response.status_code == 409
    assert response.json()["type"].endswith("/order-already-confirmed")
    assert (await client.get(f"/orders/{order_id}", headers={"X-Customer-Id": customer})).json()[
        "status"
    ] == "CONFIRMED"


async def test_another_customers_order_cannot_be_cancelled(client, customer, inventory, place):
    inventory.stock("MUG-1", 1999)
    order_id = (await place({"MUG-1": 1})).json()["id"]

    response = await client.post(f"/orders/{order_id}/cancel", headers={"X-Customer-Id": "mallory"})

    assert response.status_code == 404
    assert (await client.get(f"/orders/{order_id}", headers={"X-Customer-Id": customer})).json()[
        "status"
    ] == "PENDING"
