"""The inventory commands over real Kafka: each answered with its event, each taking effect once."""

import uuid

import pytest

from shopflow_contracts.inventory import (
    CommitStock,
    ReleaseStock,
    ReserveStock,
    StockCommitted,
    StockLine,
    StockRejected,
    StockReleased,
    StockReserved,
)
from shopflow_inventory.service import set_stock
from shopflow_kit.messaging.dead_letters import read_dead_letters

pytestmark = pytest.mark.integration


def reserve(order_id, sku, quantity):
    return ReserveStock(order_id=order_id, lines=(StockLine(sku=sku, quantity=quantity),))


@pytest.fixture
async def reserved(new_product, saga):
    """An order holding 2 units of a product stocked with 5, by command: (order id, sku)."""
    sku, order_id = await new_product(stock=5), uuid.uuid4()
    await saga.send(reserve(order_id, sku, 2))
    assert await saga.replies(order_id) == [StockReserved(order_id=order_id)]
    return order_id, sku


async def test_available_stock_is_reserved_and_the_reply_answers_the_command(
    new_product, saga, stock_of
):
    sku, order_id = await new_product(stock=5), uuid.uuid4()

    command = await saga.send(reserve(order_id, sku, 2))

    assert await saga.replies(order_id) == [StockReserved(order_id=order_id)]
    [envelope] = saga.replied[str(order_id)]
    assert envelope.causation_id == command.message_id
    assert await stock_of(sku) == (3, 2, 0)


async def test_more_than_is_available_is_rejected_out_of_stock(new_product, saga, stock_of):
    plenty, scarce = await new_product(stock=10), await new_product(stock=1)
    order_id = uuid.uuid4()
    lines = (StockLine(sku=plenty, quantity=3), StockLine(sku=scarce, quantity=2))

    await saga.send(ReserveStock(order_id=order_id, lines=lines))

    rejected = StockRejected(order_id=order_id, reason="out_of_stock", skus=(scarce,))
    assert await saga.replies(order_id) == [rejected]
    assert await stock_of(plenty) == (10, 0, 0)
    assert await stock_of(scarce) == (1, 0, 0)


async def test_a_redelivered_command_is_handled_once_and_answered_once(
    new_product, saga, consumed, replies_written, stock_of
):
    sku, order_id = await new_product(stock=5), uuid.uuid4()
    command = await saga.send(reserve(order_id, sku, 2))

    await saga.deliver(command)  # the same envelope again: the same message id

    await consumed(ReserveStock, "duplicate")  # the inbox skipped the second delivery
    assert await replies_written(order_id) == ["StockReserved"]  # so no second reply
    assert await saga.replies(order_id) == [StockReserved(order_id=order_id)]
    assert await stock_of(sku) == (3, 2, 0)


@pytest.mark.parametrize(
    ("stock", "restock", "answer", "stock_after"),
    [
        (5, 0, StockReserved, (0, 2, 0)),  # reserved, then sold out: nothing more taken
        (1, 10, StockRejected, (10, 0, 0)),  # rejected, then restocked: nothing taken
    ],
    ids=["reserved", "rejected"],
)
async def test_a_resent_command_gets_the_first_answer_again(
    new_product, run, saga, stock_of, stock, restock, answer, stock_after
):
    sku, order_id = await new_product(stock=stock), uuid.uuid4()
    await saga.send(reserve(order_id, sku, 2))
    [first] = await saga.replies(order_id)
    await run(set_stock, sku, restock)

    await saga.send(reserve(order_id, sku, 2))  # the saga's deadline resends: a new message id

    assert await saga.replies(order_id, 2) == [first, first]
    assert isinstance(first, answer)
    assert await stock_of(sku) == stock_after


async def test_releasing_gives_the_units_back(reserved, saga, stock_of):
    order_id, sku = reserved

    await saga.send(ReleaseStock(order_id=order_id))

    assert (await saga.replies(order_id, 2))[1] == StockReleased(order_id=order_id)
    assert await stock_of(sku) == (5, 0, 0)


async def test_committing_sells_the_units(reserved, saga, stock_of):
    order_id, sku = reserved

    await saga.send(CommitStock(order_id=order_id))

    assert (await saga.replies(order_id, 2))[1] == StockCommitted(order_id=order_id)
    assert await stock_of(sku) == (3, 0, 2)


async def test_committing_a_released_reservation_is_dead_lettered_unanswered(
    reserved, saga, infra, bus_topics, consumed, replies_written, stock_of
):
    order_id, sku = reserved
    await saga.send(ReleaseStock(order_id=order_id))

    refused = await saga.send(CommitStock(order_id=order_id))  # never sent by the saga

    await consumed(CommitStock, "dead_lettered")
    [letter] = await read_dead_letters(infra.kafka_bootstrap_servers, bus_topics.inventory_commands)
    assert letter.message_id == refused.message_id
    assert (letter.error_class, letter.attempts) == ("TransitionRefusedError", 1)
    assert f"cannot make reservation {order_id} COMMITTED: it is RELEASED" in letter.error_message
    assert await replies_written(order_id) == ["StockReserved", "StockReleased"]
    assert await stock_of(sku) == (5, 0, 0)
