"""Silence: a step nobody answers is sent again, then undone, and the order cancelled
(timed_out), even across a restart of the service, because deadlines are rows."""

import pytest

from shopflow_contracts.inventory import ReleaseStock, ReserveStock, StockReleased
from shopflow_contracts.order import OrderCancelled
from shopflow_order.app import build
from shopflow_testing.callers import signed_in
from shopflow_testing.servers import app_client

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(settings):
    """Impatient: half a second per step, two sends, deadlines looked at ten times a second."""
    return settings.model_copy(
        update={
            "saga_step_deadline_seconds": 0.5,
            "saga_max_attempts": 2,
            "saga_sweep_interval_seconds": 0.1,
        }
    )


async def test_an_unanswered_step_is_sent_again_then_undone(
    client, customer, inventory, place, bus, settled
):
    inventory.stock("MUG-1", 1999)
    order_id = (await place({"MUG-1": 1})).json()["id"]

    await bus.next(order_id, ReserveStock)
    await bus.next(order_id, ReserveStock)  # no reply: sent again
    release = await bus.next(order_id, ReleaseStock)  # still none: undo whatever it did
    await bus.answer(release, StockReleased(order_id=order_id))

    assert await settled(order_id) == ("CANCELLED", "timed_out")
    assert (await bus.next(order_id, OrderCancelled)).payload["reason"] == "timed_out"
    order = (await client.get(f"/orders/{order_id}", headers=signed_in("order", customer))).json()
    history = [(h["step"], h["event"]) for h in order["saga"]]
    assert history[:4] == [
        ("reserve_stock", "ReserveStock sent"),
        ("reserve_stock", "no reply: ReserveStock sent again"),
        ("reserve_stock", "no reply after 2 attempts"),
        ("saga", "compensating: ReleaseStock"),
    ]
    # Between them, ReleaseStock may have been sent again: half a second is not much.
    assert history[-2:] == [("saga", "StockReleased"), ("saga", "cancelled: timed_out")]


async def test_a_deadline_outlives_the_instance_that_set_it(
    settings, inventory, place_on, bus, settled
):
    inventory.stock("MUG-1", 1999)
    # This instance would look at its deadlines again only in an hour: it never does.
    forgetful = settings.model_copy(update={"saga_sweep_interval_seconds": 3600})
    async with app_client(build(forgetful)) as client:
        order_id = (await place_on(client, {"MUG-1": 1})).json()["id"]
        await bus.next(order_id, ReserveStock)

    async with app_client(build(settings)):  # the next instance, on the same database
        await bus.next(order_id, ReserveStock)
        release = await bus.next(order_id, ReleaseStock)
        await bus.answer(release, StockReleased(order_id=order_id))

        assert await settled(order_id) == ("CANCELLED", "timed_out")
