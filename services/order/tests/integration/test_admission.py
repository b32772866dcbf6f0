"""Overload: while the saga's backlog says a new order would wait too long, new orders are
refused at the door (503 `overloaded` with Retry-After), before any work, and reads go on."""

import asyncio

import pytest

from shopflow_kit import PROBLEM_BASE
from shopflow_order.app import build
from shopflow_testing.callers import signed_in
from shopflow_testing.servers import app_client

pytestmark = pytest.mark.integration

MAX_LATENCY = 0.2  # seconds a saga may take before new orders are refused


@pytest.fixture
def database_url(migrated_database):
    """A database of the test's own: admission measures the whole database's backlog, so
    one test's orders left in flight would refuse the next test's (in random order)."""
    return migrated_database("order")


@pytest.fixture
def app(settings):
    # Nobody answers the saga's commands here: every order placed stays in flight.
    return build(
        settings.model_copy(
            update={"admission_max_latency_seconds": MAX_LATENCY, "admission_min_backlog": 2}
        )
    )


@pytest.fixture
async def client(app):
    async with app_client(app) as client:
        yield client


async def backlog_measured_late(app) -> None:
    """Returns once admission has measured sagas taking longer than MAX_LATENCY."""
    async with asyncio.timeout(30):
        while (await app.state.admission.next_measure()).expected_latency <= MAX_LATENCY:
            pass


async def test_orders_beyond_the_backlog_are_refused_at_the_door(
    app, client, customer, inventory, place, settings
):
    inventory.stock("MUG-1", 1999)
    placed = [await place({"MUG-1": 1}) for _ in range(2)]
    await backlog_measured_late(app)
    lookups = len(inventory.lookups)

    refused = await place({"MUG-1": 1}, key="while-the-shop-is-busy")
    read = await client.get(placed[0].headers["location"], headers=signed_in("order", customer))

    assert [response.status_code for response in placed] == [202, 202]
    assert refused.status_code == 503
    assert refused.json()["type"] == PROBLEM_BASE + "overloaded"
    assert 1 <= int(refused.headers["retry-after"]) <= settings.saga_step_deadline_seconds
    assert len(inventory.lookups) == lookups  # refused before any work
    assert read.status_code == 200


async def test_a_replay_of_an_order_placed_is_answered_while_new_ones_are_refused(
    app, client, inventory, place
):
    """A client whose 202 was lost (a timeout, a restart) retries with its key: it must
    find its order, busy shop or not, or it is left believing it was never placed."""
    inventory.stock("MUG-1", 1999)
    placed = [await place({"MUG-1": 1}, key=f"placed-{n}") for n in range(2)]
    await backlog_measured_late(app)

    replayed = await place({"MUG-1": 1}, key="placed-0")
    refused = await place({"MUG-1": 1}, key="new-while-busy")

    assert replayed.status_code == 202
    assert replayed.json()["id"] == placed[0].json()["id"]
    assert refused.status_code == 503
    assert refused.json()["type"] == PROBLEM_BASE + "overloaded"
