import uuid

import pytest

from shopflow_inventory.domain import StockLine
from shopflow_inventory.service import commit_stock, release_stock, reserve_stock, set_stock

pytestmark = pytest.mark.integration


async def test_every_unit_stocked_is_accounted_for_after_a_mix_of_operations(
    client, new_product, run, admin
):
    mug, tee = await new_product(stock=10), await new_product(stock=0)
    sold, released, held = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await run(reserve_stock, sold, [StockLine(mug, 3)])
    await run(commit_stock, sold)
    await run(reserve_stock, released, [StockLine(mug, 2)])
    await run(release_stock, released)
    await run(reserve_stock, held, [StockLine(mug, 4)])
    await run(reserve_stock, uuid.uuid4(), [StockLine(tee, 1)])  # rejected
    await run(set_stock, mug, 1)  # 3 available before: the ledger records -2
    await run(set_stock, tee, 6)

    audit = {row["sku"]: row for row in (await client.get("/audit/stock", headers=admin)).json()}

    assert audit[mug] == {
        "sku": mug,
        "stocked": 8,
        "available": 1,
        "reserved": 4,
        "sold": 3,
        "consistent": True,
    }
    assert audit[tee] == {
        "sku": tee,
        "stocked": 6,
        "available": 6,
        "reserved": 0,
        "sold": 0,
        "consistent": True,
    }
    assert all(row["consistent"] for row in audit.values())
