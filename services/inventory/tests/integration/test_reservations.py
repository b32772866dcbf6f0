import uuid

import pytest

from shopflow_inventory.domain import (
    StockCommitted,
    StockLine,
    StockRejected,
    StockReleased,
    StockReserved,
    TransitionRefusedError,
)
from shopflow_inventory.models import RejectionReason
from shopflow_inventory.service import commit_stock, release_stock, reserve_stock, set_stock

pytestmark = pytest.mark.integration


@pytest.fixture
async def reserved(new_product, run):
    """An order holding 2 units of a product stocked with 5: (order id, sku)."""
    sku = await new_product(stock=5)
    order_id = uuid.uuid4()
    await run(reserve_stock, order_id, [StockLine(sku, 2)])
    return order_id, sku


async def test_reserving_moves_units_from_available_to_reserved(new_product, run, stock_of):
    mug, tee = await new_product(stock=5), await new_product(stock=3)
    order_id = uuid.uuid4()

    outcome = await run(reserve_stock, order_id, [StockLine(tee, 1), StockLine(mug, 2)])

    assert isinstance(outcome, StockReserved)
    assert set(outcome.lines) == {StockLine(mug, 2), StockLine(tee, 1)}
    assert await stock_of(mug) == (3, 2, 0)
    assert await stock_of(tee) == (2, 1, 0)


async def test_one_short_line_reserves_nothing(new_product, run, stock_of):
    plenty, scarce = await new_product(stock=10), await new_product(stock=1)
    order_id = uuid.uuid4()

    outcome = await run(reserve_stock, order_id, [StockLine(plenty, 3), StockLine(scarce, 2)])

    assert outcome == StockRejected(order_id, RejectionReason.OUT_OF_STOCK, (scarce,))
    assert await stock_of(plenty) == (10, 0, 0)
    assert await stock_of(scarce) == (1, 0, 0)


async def test_an_unknown_sku_rejects_the_reservation(new_product, run, stock_of):
    known = await new_product(stock=10)
    order_id = uuid.uuid4()

    outcome = await run(reserve_stock, order_id, [StockLine(known, 1), StockLine("NO-SUCH", 1)])

    assert outcome == StockRejected(order_id, RejectionReason.UNKNOWN_SKU, ("NO-SUCH",))
    assert await stock_of(known) == (10, 0, 0)


async def test_reserving_again_answers_the_same_without_taking_more(reserved, run, stock_of):
    order_id, sku = reserved
    await run(set_stock, sku, 0)  # the stock changes before the command is redelivered

    outcome = await run(reserve_stock, order_id, [StockLine(sku, 2)])

    assert outcome == StockReserved(order_id, (StockLine(sku, 2),))
    assert await stock_of(sku) == (0, 2, 0)


async def test_a_rejection_is_answered_again_after_a_restock(new_product, run, stock_of):
    sku = await new_product(stock=0)
    order_id = uuid.uuid4()
    first = await run(reserve_stock, order_id, [StockLine(sku, 1)])
    await run(set_stock, sku, 10)

    again = await run(reserve_stock, order_id, [StockLine(sku, 1)])

    assert again == first == StockRejected(order_id, RejectionReason.OUT_OF_STOCK, (sku,))
    assert await stock_of(sku) == (10, 0, 0)


async def test_releasing_what_was_never_held_does_nothing(new_product, run, stock_of):
    sku = await new_product(stock=0)
    rejected = uuid.uuid4()
    await run(reserve_stock, rejected, [StockLine(sku, 1)])
    unknown = uuid.uuid4()

    assert await run(release_stock, rejected) == StockReleased(rejected, ())
    assert await run(release_stock, unknown) == StockReleased(unknown, ())
    assert await stock_of(sku) == (0, 0, 0)


async def test_a_reserve_replayed_after_its_release_holds_nothing(new_product, run, stock_of):
    # The saga gave up on a dead-lettered ReserveStock and released; an operator then
    # replayed the dead letter. Holding units now would hold them for good.
    sku = await new_product(stock=5)
    order_id = uuid.uuid4()

    assert await run(release_stock, order_id) == StockReleased(order_id, ())
    outcome = await run(reserve_stock, order_id, [StockLine(sku, 2)])

    assert outcome == StockReleased(order_id, ())
    assert await stock_of(sku) == (5, 0, 0)
    assert await run(release_stock, order_id) == StockReleased(order_id, ())
    with pytest.raises(TransitionRefusedError):
        await run(commit_stock, order_id)


@pytest.mark.parametrize(
    ("end", "event", "stock_after"),
    [(release_stock, StockReleased, (5, 0, 0)), (commit_stock, StockCommitted, (3, 0, 2))],
    ids=["release", "commit"],
)
async def test_ending_a_reservation_moves_its_units_once(
    reserved, run, stock_of, end, event, stock_after
):
    order_id, sku = reserved

    first = await run(end, order_id)
    again = await run(end, order_id)

    assert first == again == event(order_id, (StockLine(sku, 2),))
    assert await stock_of(sku) == stock_after


@pytest.mark.parametrize(
    ("first", "then", "status", "stock_after"),
    [
        (commit_stock, release_stock, "COMMITTED", (3, 0, 2)),
        (release_stock, commit_stock, "RELEASED", (5, 0, 0)),
    ],
    ids=["sold-cannot-be-released", "released-cannot-be-committed"],
)
async def test_a_reservation_ended_one_way_cannot_end_the_other(
    reserved, run, stock_of, first, then, status, stock_after
):
    order_id, sku = reserved
    await run(first, order_id)

    with pytest.raises(TransitionRefusedError, match=f"it is {status}"):
        await run(then, order_id)
    assert await stock_of(sku) == stock_after


async def test_what_was_rejected_or_never_asked_cannot_be_committed(new_product, run):
    sku = await new_product(stock=0)
    rejected = uuid.uuid4()
    await run(reserve_stock, rejected, [StockLine(sku, 1)])

    with pytest.raises(TransitionRefusedError, match="it is REJECTED"):
        await run(commit_stock, rejected)
    with pytest.raises(TransitionRefusedError, match="it does not exist"):
        await run(commit_stock, uuid.uuid4())
