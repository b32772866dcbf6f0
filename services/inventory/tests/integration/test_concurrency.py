import asyncio
import uuid

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from shopflow_inventory.domain import (
    StockLine,
    StockRejected,
    StockReserved,
    TransitionRefusedError,
)
from shopflow_inventory.models import StockLevel
from shopflow_inventory.service import commit_stock, release_stock, reserve_stock

pytestmark = pytest.mark.integration


async def test_fifty_orders_racing_for_ten_units_sell_exactly_ten(new_product, run, stock_of):
    sku = await new_product(stock=10)

    outcomes = await asyncio.gather(
        *(run(reserve_stock, uuid.uuid4(), [StockLine(sku, 1)]) for _ in range(50))
    )

    assert sum(isinstance(outcome, StockReserved) for outcome in outcomes) == 10
    assert sum(isinstance(outcome, StockRejected) for outcome in outcomes) == 40
    assert await stock_of(sku) == (0, 10, 0)


async def test_one_order_reserved_twice_at_once_takes_its_units_once(new_product, run, stock_of):
    sku = await new_product(stock=5)
    order_id = uuid.uuid4()

    first, second = await asyncio.gather(
        run(reserve_stock, order_id, [StockLine(sku, 2)]),
        run(reserve_stock, order_id, [StockLine(sku, 2)]),
    )

    assert first == second == StockReserved(order_id, (StockLine(sku, 2),))
    assert await stock_of(sku) == (3, 2, 0)


async def test_orders_naming_products_in_opposite_orders_do_not_deadlock(
    new_product, run, stock_of
):
    left, right = await new_product(stock=20), await new_product(stock=20)
    both_ways = [
        [StockLine(left, 1), StockLine(right, 1)],
        [StockLine(right, 1), StockLine(left, 1)],
    ]

    outcomes = await asyncio.gather(
        *(run(reserve_stock, uuid.uuid4(), both_ways[n % 2]) for n in range(20))
    )

    assert all(isinstance(outcome, StockReserved) for outcome in outcomes)
    assert await stock_of(left) == await stock_of(right) == (0, 20, 0)


async def test_a_release_racing_a_commit_lets_exactly_one_happen(new_product, run, stock_of):
    sku = await new_product(stock=3)
    order_id = uuid.uuid4()
    await run(reserve_stock, order_id, [StockLine(sku, 3)])

    released, committed = await asyncio.gather(
        run(release_stock, order_id), run(commit_stock, order_id), return_exceptions=True
    )

    refused = [r for r in (released, committed) if isinstance(r, TransitionRefusedError)]
    assert len(refused) == 1
    assert await stock_of(sku) in [(3, 0, 0), (0, 0, 3)]


async def test_the_schema_refuses_negative_stock(new_product, database):
    sku = await new_product(stock=1)

    with pytest.raises(IntegrityError, match="ck_stock_levels_available_not_negative"):
        async with database.transaction() as session:
            await session.execute(
                update(StockLevel).where(StockLevel.sku == sku).values(available=-1)
            )
