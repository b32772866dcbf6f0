"""REST: an order's payment as the gateway and the auditor read it."""

import uuid

import pytest

from shopflow_testing.callers import signed_in

pytestmark = pytest.mark.integration


async def test_an_orders_payment_is_listed_and_readable_by_id(charge, client, order_id):
    payment = await charge(order_id, "tok_chargeDeclined", amount=1500)

    listed = await client.get(
        "/payments", params={"order_id": str(order_id)}, headers=signed_in("payment", "alice")
    )
    by_id = await client.get(f"/payments/{payment.id}", headers=signed_in("payment", "alice"))

    assert listed.status_code == by_id.status_code == 200
    assert listed.json() == [by_id.json()]
    read = by_id.json()
    assert (read["status"], read["amount"], read["currency"]) == ("DECLINED", 1500, "EUR")
    assert read["decline_reason"] == "generic_decline"
    assert read["order_id"] == str(order_id)


async def test_an_order_without_a_payment_lists_none(client):
    response = await client.get(
        "/payments", params={"order_id": str(uuid.uuid4())}, headers=signed_in("payment", "alice")
    )

    assert response.status_code == 200
    assert response.json() == []


async def test_an_unknown_payment_is_a_404_problem(client):
    response = await client.get(f"/payments/{uuid.uuid4()}", headers=signed_in("payment", "alice"))

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/payment-not-found")


@pytest.mark.parametrize(
    ("path", "params"),
    [("/payments", {}), ("/payments", {"order_id": "nope"}), ("/payments/nope", {})],
)
async def test_a_missing_or_malformed_id_is_a_validation_problem(client, path, params):
    response = await client.get(path, params=params, headers=signed_in("payment", "alice"))

    assert response.status_code == 422
    assert response.json()["type"].endswith("/validation-error")
