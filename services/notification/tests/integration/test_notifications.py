import uuid

import pytest

from shopflow_kit import Database
from shopflow_notification.domain import OrderOutcome
from shopflow_notification.models import NotificationKind
from shopflow_notification.service import notify
from shopflow_testing.callers import signed_in

pytestmark = pytest.mark.integration


async def record(settings, outcome):
    database = Database(settings.database_url)
    try:
        async with database.transaction() as session:
            return await notify(session, outcome)
    finally:
        await database.dispose()


async def test_an_event_delivered_twice_notifies_once(settings, client):
    order_id = str(uuid.uuid4())
    outcome = OrderOutcome(order_id, "alice", NotificationKind.ORDER_CONFIRMED, 1999, "EUR")

    first = await record(settings, outcome)
    second = await record(settings, outcome)

    assert first.id == second.id
    response = await client.get(
        "/notifications", params={"order_id": order_id}, headers=signed_in("notification", "alice")
    )
    assert response.status_code == 200
    assert [n["kind"] for n in response.json()] == ["ORDER_CONFIRMED"]


async def test_an_order_lists_its_notifications_oldest_first(settings, client):
    order_id = str(uuid.uuid4())
    await record(
        settings, OrderOutcome(order_id, "bob", NotificationKind.ORDER_CONFIRMED, 500, "EUR")
    )
    await record(
        settings, OrderOutcome(order_id, "bob", NotificationKind.ORDER_CANCELLED, reason="x")
    )

    response = await client.get(
        "/notifications", params={"order_id": order_id}, headers=signed_in("notification", "alice")
    )

    assert [n["kind"] for n in response.json()] == ["ORDER_CONFIRMED", "ORDER_CANCELLED"]
    assert response.json()[0]["recipient"] == "bob"


async def test_an_unknown_order_has_no_notifications(client):
    response = await client.get(
        "/notifications",
        params={"order_id": str(uuid.uuid4())},
        headers=signed_in("notification", "alice"),
    )

    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("params", [{}, {"order_id": "not-a-uuid"}])
async def test_a_missing_or_malformed_order_id_is_a_problem(client, params):
    response = await client.get(
        "/notifications", params=params, headers=signed_in("notification", "alice")
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/validation-error")
