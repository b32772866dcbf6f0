"""The saga store on a real PostgreSQL: a reply, the saga's step and its commands commit
together; concurrent deliveries advance a saga once; deadlines are rows that outlive
the process that set them."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry
from pydantic import BaseModel
from sqlalchemy import Column, MetaData, String, Table, insert, select

from shopflow_kit.messaging import Envelope, Message
from shopflow_kit.saga import (
    SAGA_HISTORY,
    SAGAS,
    Compensation,
    Saga,
    SagaDefinition,
    SagaStore,
    Step,
)

pytestmark = pytest.mark.integration


class Hold(Message):
    id: str


class Held(Message):
    id: str


class Unhold(Message):
    id: str


class Unheld(Message):
    id: str


class Finish(Message):
    id: str


class Finished(Message):
    id: str


class Item(BaseModel):
    id: str


DEFINITION = SagaDefinition(
    "two-steps",
    data=Item,
    steps=(
        Step(
            "hold",
            send=lambda d: Hold(id=d.id),
            to="t.hold",
            succeeded=Held,
            compensation=Compensation(lambda d: Unhold(id=d.id), "t.hold", Unheld),
        ),
        Step("finish", send=lambda d: Finish(id=d.id), to="t.finish", succeeded=Finished),
    ),
    step_deadline=timedelta(seconds=5),
)
T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

metadata = MetaData()
SAGAS.declare(metadata)
SAGA_HISTORY.declare(metadata)
# Stands in for the outbox: a row per command, written in the caller's transaction.
sent = Table(
    "sent", metadata, Column("topic", String), Column("key", String), Column("type", String)
)


async def record_sent(session, *, topic, key, envelope):
    await session.execute(insert(sent).values(topic=topic, key=key, type=envelope.type))


@pytest.fixture
async def database(database_with):
    return await database_with(metadata)


def new_store():
    return SagaStore(Saga(DEFINITION), metadata, record_sent)


async def started(database) -> uuid.UUID:
    saga_id = uuid.uuid4()
    async with database.transaction() as session:
        await new_store().start(session, saga_id, Item(id=str(saga_id)), T0)
    return saga_id


def reply_to(saga_id, message):
    return message, Envelope.wrap(message, correlation_id=str(saga_id))


async def sent_types(database, saga_id):
    async with database.transaction() as session:
        rows = await session.scalars(select(sent.c.type).where(sent.c.key == str(saga_id)))
        return list(rows)


async def test_a_reply_advances_the_saga_and_writes_the_next_command(database):
    saga_id = await started(database)

    async with database.transaction() as session:
        decision = await new_store().on_reply(session, *reply_to(saga_id, Held(id="x")), T0)
        history = await new_store().history(session, saga_id)

    assert decision is not None
    assert decision.committed
    assert await sent_types(database, saga_id) == ["Hold", "Finish"]
    assert [(h.step, h.event) for h in history] == [
        ("hold", "Hold sent"),
        ("hold", "Held"),
        ("finish", "Finish sent"),
    ]


async def test_a_transaction_that_fails_leaves_the_saga_and_the_outbox_untouched(database):
    saga_id = await started(database)

    async def advance_then_fail():
        async with database.transaction() as session:
            await new_store().on_reply(session, *reply_to(saga_id, Held(id="x")), T0)
            raise RuntimeError("the handler failed after the saga moved")

    with pytest.raises(RuntimeError):
        await advance_then_fail()

    assert await sent_types(database, saga_id) == ["Hold"]
    async with database.transaction() as session:
        assert len(await new_store().history(session, saga_id)) == 1


async def test_the_same_reply_delivered_concurrently_advances_the_saga_once(database):
    saga_id = await started(database)

    async def deliver():
        async with database.transaction() as session:
            await new_store().on_reply(session, *reply_to(saga_id, Held(id="x")), T0)

    await asyncio.gather(*(deliver() for _ in range(5)))

    assert await sent_types(database, saga_id) == ["Hold", "Finish"]


async def test_a_reply_for_an_unknown_saga_is_ignored(database):
    async with database.transaction() as session:
        decision = await new_store().on_reply(session, *reply_to(uuid.uuid4(), Held(id="x")), T0)

    assert decision is None


async def test_deadlines_outlive_the_store_that_set_them_and_sweepers_share_them(database):
    ids = [await started(database) for _ in range(6)]
    after = T0 + 2 * DEFINITION.step_deadline  # the first deadline falls in [1, 2] steps

    async def sweep():
        store = new_store()  # as after a restart: nothing but the rows
        async with database.transaction() as session:
            due = await store.overdue(session, after, limit=3)
            for saga_id in due:
                async with store.on_deadline(session, saga_id, after):
                    pass
            await asyncio.sleep(0)  # let the other sweeper run while these rows are locked
            return set(due)

    first, second = await asyncio.gather(sweep(), sweep())

    assert first | second == set(ids)
    assert not first & second
    for saga_id in ids:
        assert await sent_types(database, saga_id) == ["Hold", "Hold"]


async def test_a_cancel_is_recorded_and_acted_on_at_the_next_reply(database):
    saga_id = await started(database)
    async with database.transaction() as session:
        await new_store().request_cancel(session, saga_id, T0)
    async with database.transaction() as session:
        await new_store().on_reply(session, *reply_to(saga_id, Held(id="x")), T0)
    async with database.transaction() as session:
        decision = await new_store().on_reply(session, *reply_to(saga_id, Unheld(id="x")), T0)

    assert decision is not None
    assert decision.cancelled
    assert await sent_types(database, saga_id) == ["Hold", "Unhold"]


async def test_outcomes_and_durations_are_counted_once_their_transaction_commits(database):
    registry = CollectorRegistry()
    store = SagaStore(Saga(DEFINITION), metadata, record_sent, registry=registry)

    def sample(name, **labels):
        return registry.get_sample_value(name, {"saga": "two-steps", **labels})

    saga_id = uuid.uuid4()
    async with database.transaction() as session:
        await store.start(session, saga_id, Item(id=str(saga_id)), T0)

    async def reply_then_roll_back():
        async with database.transaction() as session:
            await store.on_reply(session, *reply_to(saga_id, Held(id="x")), T0)
            raise RuntimeError("rolled back: this reply will come again")

    with pytest.raises(RuntimeError):
        await reply_then_roll_back()
    assert sample("saga_ended_total", outcome="committed", reason="") == 0

    async with database.transaction() as session:
        await store.on_reply(session, *reply_to(saga_id, Held(id="x")), T0 + timedelta(seconds=2))

    assert sample("saga_started_total") == 1
    assert sample("saga_ended_total", outcome="committed", reason="") == 1
    assert sample("saga_ended_total", outcome="cancelled", reason="timed_out") == 0
    assert sample("saga_duration_seconds_sum", outcome="committed") == 2
    assert sample("saga_duration_seconds_bucket", outcome="committed", le="1.0") == 0
    assert sample("saga_duration_seconds_bucket", outcome="committed", le="2.0") == 1
