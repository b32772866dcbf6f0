import uuid

import pytest

from shopflow_inventory.domain import StockLine
from shopflow_inventory.service import release_stock, reserve_stock

pytestmark = pytest.mark.integration


async def test_a_reservation_shows_its_status_and_lines(client, new_product, run, admin):
    sku = await new_product(stock=5)
    order_id = uuid.uuid4()
    await run(reserve_stock, order_id, [StockLine(sku, 2)])
    await run(release_stock, order_id)

    response = await client.get(f"/reservations/{order_id}", headers=admin)

    assert response.status_code == 200
    body = response.json()
    assert body["order_id"] == str(order_id)
    assert body["status"] == "RELEASED"
    assert body["lines"] == [{"sku": sku, "quantity": 2}]
    assert (body["reason"], body["short_skus"]) == (None, [])


async def test_a_rejected_reservation_says_why(client, new_product, run, admin):
    scarce = await new_product(stock=1)
    order_id = uuid.uuid4()
    await run(reserve_stock, order_id, [StockLine(scarce, 2), StockLine("NO-SUCH", 1)])

    body = (await client.get(f"/reservations/{order_id}", headers=admin)).json()

    assert body["status"] == "REJECTED"
    assert (body["reason"], body["short_skus"]) == ("unknown_sku", ["NO-SUCH"])
    assert body["lines"] == [{"sku": "NO-SUCH", "quantity": 1}, {"sku": scarce, "quantity": 2}]


async def test_an_order_never_reserved_is_a_not_found_problem(client, admin):
    order_id = uuid.uuid4()

    response = await client.get(f"/reservations/{order_id}", headers=admin)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/reservation-not-found")
    assert response.json()["order_id"] == str(order_id)


async def test_a_malformed_order_id_is_a_validation_problem(client, admin):
    response = await client.get("/reservations/42", headers=admin)

    assert response.status_code == 422
    assert response.json()["type"].endswith("/validation-error")
