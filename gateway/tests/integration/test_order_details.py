"""The aggregated order details: the order always, payments and notifications when they answer.

The services run on a bus of the test's own with the provider simulator, so an order
completes for real: its details have a payment and a notification to show, or to lose.
"""

import asyncio

import pytest

from shopflow_kit import PROBLEM_BASE, Database
from shopflow_stack.shop_client import saga_finished
from shopflow_testing.waits import outbox_drained

pytestmark = pytest.mark.integration

PUBLISHING = ("order", "inventory", "payment")


@pytest.fixture(scope="module")
def databases(databases, migrated_database):
    return {**databases, "payment-provider": migrated_database("payment-provider")}


async def completed(gateway, order_id: str, customer: str = "alice") -> dict:
    """The order once its saga has closed (it goes on after CONFIRMED: the stock is
    committed after the payment) and its customer notified."""
    headers = gateway.token(customer)
    async with asyncio.timeout(60):
        while True:
            order = (await gateway.client.get(f"/api/v1/orders/{order_id}", headers=headers)).json()
            path = f"/api/v1/orders/{order_id}/notifications"
            notified = (await gateway.client.get(path, headers=headers)).json()
            if order["status"] != "PENDING" and saga_finished(order) and notified:
                return order
            await asyncio.sleep(0.1)


@pytest.fixture
async def order_id(gateway, place_order, databases):
    """A confirmed order of alice's, every message about it published: nothing is left in
    an outbox for a relay a later test restarts."""
    placed = (await place_order(gateway.token("alice"))).json()
    order = await completed(gateway, placed["id"])
    assert order["status"] == "CONFIRMED", order
    for service in PUBLISHING:
        database = Database(databases[service])
        try:
            await outbox_drained(database)
        finally:
            await database.dispose()
    return placed["id"]


async def details(gateway, order_id, customer="alice"):
    path = f"/api/v1/orders/{order_id}/details"
    return await gateway.client.get(path, headers=gateway.token(customer))


async def test_details_gather_the_order_its_payments_and_notifications(gateway, order_id):
    answer = await details(gateway, order_id)

    assert answer.status_code == 200
    body = answer.json()
    assert body["order"]["id"] == order_id
    assert [(p["order_id"], p["status"]) for p in body["payments"]] == [(order_id, "CHARGED")]
    assert [p["amount"] for p in body["payments"]] == [body["order"]["total"]]
    assert [(n["order_id"], n["kind"]) for n in body["notifications"]] == [
        (order_id, "ORDER_CONFIRMED")
    ]
    assert body["unavailable"] == []


async def test_details_degrade_when_payment_is_down(gateway, services, order_id):
    await services.payment.stop()

    answer = await details(gateway, order_id)

    assert answer.status_code == 200
    body = answer.json()
    assert body["order"]["id"] == order_id
    assert body["payments"] is None
    assert [n["kind"] for n in body["notifications"]] == ["ORDER_CONFIRMED"]
    assert body["unavailable"] == ["payments"]


async def test_details_degrade_when_both_parts_are_down(gateway, services, order_id):
    await services.payment.stop()
    await services.notification.stop()

    body = (await details(gateway, order_id)).json()

    assert body["order"]["id"] == order_id
    assert body["payments"] is body["notifications"] is None
    assert body["unavailable"] == ["payments", "notifications"]


async def test_details_are_a_503_problem_without_the_order_service(gateway, services, order_id):
    await services.order.stop()

    answer = await details(gateway, order_id)

    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == PROBLEM_BASE + "upstream-unavailable"
    assert "retry-after" in answer.headers


async def test_another_customers_order_is_not_found_anywhere(gateway, services, order_id):
    before = services.payment.requests_seen(), services.notification.requests_seen()

    for part in ("details", "payments", "notifications"):
        path = f"/api/v1/orders/{order_id}/{part}"
        answer = await gateway.client.get(path, headers=gateway.token("bob"))
        assert answer.status_code == 404
        assert answer.json()["type"] == PROBLEM_BASE + "order-not-found"
    assert (services.payment.requests_seen(), services.notification.requests_seen()) == before
