"""The inbox on a real PostgreSQL: a message id is recorded once, in the handler's transaction,
with where it was consumed from; a concurrent recording of the same id waits for the first."""

import asyncio
import contextlib

import pytest
from aiokafka import ConsumerRecord
from sqlalchemy import select, text

from shopflow_kit.db import Database, service_metadata
from shopflow_kit.messaging import Envelope, Message
from shopflow_kit.messaging.inbox import INBOX, record_processed

pytestmark = pytest.mark.integration

METADATA = service_metadata()
INBOX_TABLE = INBOX.declare(METADATA)
GROUP = "inventory-service"


class StockReserved(Message):
    sku: str


@pytest.fixture
async def database(database_with) -> Database:
    return await database_with(METADATA)


def delivered(offset: int, topic: str = "shopflow.inventory.events") -> ConsumerRecord:
    """What Kafka handed over at `offset` of partition 2 (the value is not read here)."""
    return ConsumerRecord(topic, 2, offset, 0, 0, None, b"", None, 0, 0, [])


def reserved() -> Envelope:
    return Envelope.wrap(StockReserved(sku="A-1"), correlation_id="order-1")


async def record(database: Database, envelope: Envelope, offset: int) -> bool:
    async with database.transaction() as session:
        return await record_processed(session, envelope, delivered(offset), consumer_group=GROUP)


async def test_a_message_is_new_once_and_its_row_says_where_it_was_consumed_from(database):
    message = reserved()

    first, redelivered = await record(database, message, 41), await record(database, message, 57)

    assert (first, redelivered) == (True, False)
    async with database.transaction() as session:
        rows = (await session.execute(select(INBOX_TABLE))).all()
    assert [
        (r.message_id, r.message_type, r.consumer_group, r.kafka_topic, r.kafka_partition)
        for r in rows
    ] == [(message.message_id, "StockReserved", GROUP, "shopflow.inventory.events", 2)]
    assert rows[0].kafka_offset == 41, "the first delivery's place, not the redelivery's"
    assert rows[0].processed_at is not None


async def test_other_messages_are_new_whatever_the_first_one_was(database):
    assert [await record(database, reserved(), offset) for offset in range(3)] == [True] * 3


class HandlerFailedError(Exception):
    pass


async def record_then_fail(database: Database, envelope: Envelope) -> None:
    """A handler that fails after the inbox recorded its message: the transaction rolls back."""
    async with database.transaction() as session:
        assert await record_processed(session, envelope, delivered(7), consumer_group=GROUP)
        raise HandlerFailedError


async def test_a_recording_rolled_back_with_its_handler_leaves_the_message_new(database):
    message = reserved()
    with pytest.raises(HandlerFailedError):
        await record_then_fail(database, message)

    assert await record(database, message, 7)


async def blocked_on_a_lock(database: Database) -> None:
    """Until a session of this database waits for a row lock another transaction holds."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with asyncio.timeout(10):
        while True:
            async with database.transaction() as session:
                if await session.scalar(waiting):
                    return
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("first_commits", [True, False])
async def test_a_concurrent_recording_of_the_same_message_waits_for_the_first(
    database, first_commits
):
    message = reserved()
    first_recorded, decide = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        with contextlib.suppress(HandlerFailedError):
            async with database.transaction() as session:
                assert await record_processed(session, message, delivered(7), consumer_group=GROUP)
                first_recorded.set()
                await decide.wait()
                if not first_commits:
                    raise HandlerFailedError

    holder = asyncio.create_task(first())
    await first_recorded.wait()
    second = asyncio.create_task(record(database, message, 9))
    await blocked_on_a_lock(database)
    assert not second.done(), "the second recording waits for the first's outcome"
    decide.set()
    await holder

    async with asyncio.timeout(10):
        assert await second is (not first_commits)
