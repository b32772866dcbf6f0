import uuid

import pytest

from shopflow_contracts.inventory import ReserveStock, StockRejected
from shopflow_order import repository
from shopflow_order.schemas import OrderDetails
from shopflow_testing.callers import signed_in

pytestmark = pytest.mark.integration


async def test_an_order_is_visible_only_to_its_customer(client, customer, inventory, place):
    inventory.stock("MUG-1", 1999)
    order = (await place({"MUG-1": 1})).json()

    mine = await client.get(f"/orders/{order['id']}", headers=signed_in("order", customer))
    theirs = await client.get(f"/orders/{order['id']}", headers=signed_in("order", "mallory"))
    unknown = await client.get(f"/orders/{uuid.uuid4()}", headers=signed_in("order", customer))

    assert mine.status_code == 200
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["type"].endswith("/order-not-found")
    assert theirs.json()["detail"] == unknown.json()["detail"]


async def test_an_order_reads_as_its_orm_rendering_byte_for_byte(
    app, client, customer, database, inventory, place, bus, settled
):
    # GET /orders/{id} is one statement mapped straight to the schema; the ORM path still
    # answers placing and cancelling, and both must render the same bytes.
    inventory.stock("MUG-1", 1999, name="Mug «ShopFlow» ☕")
    inventory.stock("CUP-2", 250)
    order_id = (await place({"MUG-1": 3, "CUP-2": 1})).json()["id"]
    rejected = StockRejected(order_id=order_id, reason="out_of_stock", skus=("MUG-1",))
    await bus.answer(await bus.next(order_id, ReserveStock), rejected)
    await settled(order_id)

    read = await client.get(f"/orders/{order_id}", headers=signed_in("order", customer))

    async with database.transaction() as session:
        order = await repository.customer_order(session, customer, uuid.UUID(order_id))
        assert order is not None
        history = await app.state.orchestrator.history(session, order.id)
    assert read.status_code == 200
    assert read.headers["content-type"] == "application/json"
    assert read.content == OrderDetails.of(order, history).model_dump_json().encode()
    body = read.json()
    assert (body["status"], body["cancellation_reason"]) == ("CANCELLED", "out_of_stock")
    assert [line["sku"] for line in body["items"]] == ["CUP-2", "MUG-1"]
    assert [event["event"] for event in body["saga"]][:2] == ["ReserveStock sent", "StockRejected"]


async def test_reading_orders_needs_a_customer(client):
    response = await client.get("/orders")

    assert response.status_code == 401
    assert response.json()["type"].endswith("/unauthenticated")


async def test_the_customer_pages_through_their_orders_newest_first(
    client, customer, inventory, place
):
    inventory.stock("MUG-1", 1999)
    placed = [(await place({"MUG-1": n})).json()["id"] for n in range(1, 6)]
    await place({"MUG-1": 1}, customer_id=f"other-{uuid.uuid4()}")

    seen, pages, cursor = [], 0, None
    while True:
        params = {"limit": 2, **({"before": cursor} if cursor else {})}
        response = await client.get("/orders", params=params, headers=signed_in("order", customer))
        page = response.json()
        seen += [order["id"] for order in page["orders"]]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break

    assert seen == placed[::-1]
    assert pages == 3


@pytest.mark.parametrize(
    ("params", "status", "slug"),
    [
        ({"before": "not-a-cursor"}, 400, "invalid-cursor"),
        ({"limit": 0}, 422, "validation-error"),
        ({"limit": 101}, 422, "validation-error"),
    ],
)
async def test_a_bad_page_request_is_a_problem(client, customer, params, status, slug):
    response = await client.get("/orders", params=params, headers=signed_in("order", customer))

    assert response.status_code == status
    assert response.json()["type"].endswith(f"/{slug}")
