import pytest

from shopflow_order.app import build
from shopflow_testing.callers import signed_in
from shopflow_testing.servers import app_client, running_server

pytestmark = pytest.mark.integration


async def test_unknown_skus_are_listed_and_nothing_is_ordered(client, customer, inventory, place):
    inventory.stock("MUG-1", 1999)

    response = await place({"MUG-1": 1, "GHOST-2": 1, "GHOST-1": 3})

    assert response.status_code == 422
    assert response.json()["type"].endswith("/unknown-sku")
    assert response.json()["skus"] == ["GHOST-1", "GHOST-2"]
    listed = await client.get("/orders", headers=signed_in("order", customer))
    assert listed.json()["orders"] == []


async def test_one_order_is_priced_in_one_currency(inventory, place):
    inventory.stock("MUG-1", 1999, currency="EUR")
    inventory.stock("HAT-1", 2500, currency="USD")

    response = await place({"MUG-1": 1, "HAT-1": 1})

    assert response.status_code == 422
    assert response.json()["type"].endswith("/mixed-currencies")
    assert response.json()["currencies"] == ["EUR", "USD"]


async def test_an_unreachable_inventory_is_a_503_with_retry_after(settings, customer, inventory):
    async with running_server(inventory.app) as stopped_url:
        pass  # the server is stopped: nothing listens on its port any more
    unreachable = settings.model_copy(update={"inventory_url": stopped_url})

    async with app_client(build(unreachable)) as client:
        response = await client.post(
            "/orders",
            json={"items": [{"sku": "MUG-1", "quantity": 1}], "payment_method": "tok_visa"},
            headers=signed_in("order", customer) | {"Idempotency-Key": "k-1"},
        )
        listed = await client.get("/orders", headers=signed_in("order", customer))

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/upstream-unavailable")
    assert int(response.headers["retry-after"]) >= 1
    assert listed.json()["orders"] == []


async def test_once_the_breaker_opens_inventory_is_left_alone(settings, inventory, place):
    inventory.stock("MUG-1", 1999)
    inventory.failing = 503
    failures = [
        await place({"MUG-1": 1}) for _ in range(settings.inventory_policy.breaker_fail_max)
    ]
    inventory.failing = None  # recovered, but the breaker does not know yet
    looked_up = len(inventory.lookups)  # each failure retried within the budget

    response = await place({"MUG-1": 1})

    assert [f.status_code for f in failures] == [503] * len(failures)
    assert len(inventory.lookups) == looked_up
    assert response.status_code == 503
    assert int(response.headers["retry-after"]) > 1


async def test_an_inventory_answering_500_is_a_502_and_its_breaker_stays_closed(
    settings, inventory, place
):
    inventory.stock("MUG-1", 1999)
    inventory.failing = 500  # a bug of its own, not unavailability (ADR 0009)
    failures = [
        await place({"MUG-1": 1}) for _ in range(2 * settings.inventory_policy.breaker_fail_max)
    ]

    assert {failure.status_code for failure in failures} == {502}
    assert len(inventory.lookups) == len(failures)
