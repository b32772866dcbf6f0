"""The aggregated order details: the order always, payments and notifications when they answer."""

import pytest

from shopflow_kit import PROBLEM_BASE

pytestmark = pytest.mark.integration


@pytest.fixture
async def order_id(gateway, place_order):
    return (await place_order(gateway.token("alice"))).json()["id"]


async def details(gateway, order_id, customer="alice"):
    path = f"/api/v1/orders/{order_id}/details"
    return await gateway.client.get(path, headers=gateway.token(customer))


async def test_details_gather_the_order_its_payments_and_notifications(gateway, order_id):
    answer = await details(gateway, order_id)

    assert answer.status_code == 200
    body = answer.json()
    assert body["order"]["id"] == order_id
    assert body["payments"] == body["notifications"] == []
    assert body["unavailable"] == []


async def test_details_degrade_when_payment_is_down(gateway, services, order_id):
    await services.payment.stop()

    answer = await details(gateway, order_id)

    assert answer.status_code == 200
    body = answer.json()
    assert body["order"]["id"] == order_id
    assert body["payments"] is None
    assert body["notifications"] == []
    assert body["unavailable"] == ["payments"]


async def test_details_degrade_when_both_parts_are_down(gateway, services, order_id):
    await services.payment.stop()
    await services.notification.stop()

    body = (await details(gateway, order_id)).json()

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
