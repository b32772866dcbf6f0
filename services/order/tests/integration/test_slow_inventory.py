"""A slow inventory holds no database connection: orders are priced first, then written,
so reads and the saga's consumer keep the pool while placements wait on inventory."""

import asyncio

import pytest

from shopflow_testing.callers import signed_in

pytestmark = pytest.mark.integration


async def test_orders_waiting_on_inventory_hold_no_connection_and_reads_go_on(
    app, client, inventory, place, customer
):
    inventory.stock("MUG-1", 1999)
    pool = app.state.database.engine.pool
    waiting = pool.size() + pool._max_overflow  # as many as the pool can ever lend at once
    inventory.answering.clear()
    placing = [asyncio.create_task(place({"MUG-1": 1})) for _ in range(waiting)]
    await inventory.holding(waiting)

    lent_while_waiting = pool.checkedout()
    listed = await client.get("/orders", headers=signed_in("order", customer))
    inventory.answering.set()
    placed = await asyncio.gather(*placing)

    # Background jobs (relay, consumer, sweeper) may hold one each; placements hold none.
    assert lent_while_waiting < waiting
    assert listed.status_code == 200  # not left waiting for a connection until pool_timeout
    assert {answer.status_code for answer in placed} == {202}
