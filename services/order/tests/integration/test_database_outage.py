"""The order service's PostgreSQL killed under a burst of orders: every client is told 503
with Retry-After, and clients that retry with their Idempotency-Key end with one order each."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from shopflow_kit import PROBLEM_BASE
from shopflow_kit.migrations import upgrade
from shopflow_order.app import build
from shopflow_testing.callers import signed_in
from shopflow_testing.plugin import migrations_of
from shopflow_testing.servers import app_client

pytestmark = pytest.mark.integration

BURST = 8
ORDER = {"items": [{"sku": "MUG-1", "quantity": 1}], "payment_method": "tok_visa"}


@pytest.fixture
async def client(own_postgres, settings):
    """The order service on a PostgreSQL server of the test's own."""
    with ThreadPoolExecutor(max_workers=1) as worker:  # Alembic runs its own event loop
        worker.submit(upgrade, migrations_of("order"), own_postgres.url()).result()
    on_own = settings.model_copy(update={"database_url": own_postgres.url()})
    async with app_client(build(on_own)) as client:
        yield client


async def test_clients_retrying_with_their_key_end_with_exactly_one_order_each(
    client, own_postgres, inventory, customer
):
    inventory.stock("MUG-1", 1999)

    def headers() -> dict[str, str]:
        return signed_in("order", customer)  # signed afresh: a token lasts a minute

    refused: list = []
    everyone_refused = asyncio.Event()

    async def place_until_accepted(key: str) -> dict:
        """What a client does: the same request and key again, after Retry-After."""
        async with asyncio.timeout(120):
            while True:
                answer = await client.post(
                    "/orders", json=ORDER, headers=headers() | {"Idempotency-Key": key}
                )
                if answer.status_code == 202:
                    return answer.json()
                refused.append(answer)
                if len({a.request.headers["idempotency-key"] for a in refused}) == BURST:
                    everyone_refused.set()
                await asyncio.sleep(float(answer.headers["retry-after"]))

    inventory.answering.clear()  # every order is in flight: priced, about to be written
    keys = [f"burst-{n}" for n in range(BURST)]
    clients = [asyncio.create_task(place_until_accepted(key)) for key in keys]
    await inventory.holding(BURST)
    own_postgres.crash()
    inventory.answering.set()
    await everyone_refused.wait()
    await own_postgres.up()
    orders = await asyncio.gather(*clients)

    assert {answer.status_code for answer in refused} == {503}
    assert {answer.json()["type"] for answer in refused} == {
        PROBLEM_BASE + "dependency-unavailable"
    }
    assert {answer.json()["dependency"] for answer in refused} == {"database"}
    listed = (await client.get("/orders", headers=headers(), params={"limit": 100})).json()
    assert sorted(order["id"] for order in listed["orders"]) == sorted(o["id"] for o in orders)
    assert len({order["id"] for order in orders}) == BURST
    again = await client.post(
        "/orders", json=ORDER, headers=headers() | {"Idempotency-Key": keys[0]}
    )
    assert again.json()["id"] == orders[0]["id"]


async def test_readiness_names_the_database_while_it_is_away(client, own_postgres):
    own_postgres.crash()
    away = await client.get("/readyz")
    await own_postgres.up()

    assert away.status_code == 503
    assert away.json()["checks"]["database"] != "ok"
    assert "database" in away.json()["detail"]
