"""A step's deadline on a real PostgreSQL with the kit's outbox: it measures the
participant from the publication of its command, never the shop's own backlog; a saga
whose data no longer reads is set aside instead of stopping every sweep."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry
from pydantic import BaseModel
from sqlalchemy import MetaData, select, update

from shopflow_kit.messaging import OUTBOX, Message
from shopflow_kit.messaging.outbox import add_to_outbox
from shopflow_kit.saga import SAGA_HISTORY, SAGAS, Saga, SagaDefinition, SagaStore, Step, attention
from shopflow_testing.printed import printed

pytestmark = pytest.mark.integration


class Hold(Message):
    id: str


class Held(Message):
    id: str


class Item(BaseModel):
    id: str


STEP = timedelta(seconds=5)
DEFINITION = SagaDefinition(
    "one-step",
    data=Item,
    steps=(Step("hold", send=lambda d: Hold(id=d.id), to="t.hold", succeeded=Held),),
    step_deadline=STEP,
    max_attempts=3,
)
T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

metadata = MetaData()
SAGAS.declare(metadata)
SAGA_HISTORY.declare(metadata)
outbox = OUTBOX.declare(metadata)
sagas = metadata.tables["sagas"]


@pytest.fixture
async def database(database_with):
    return await database_with(metadata)


@pytest.fixture
def store():
    # Every deadline at the top of its band: the first one is T0 + 2 steps.
    saga = Saga(DEFINITION, draw=lambda low, high: high)
    return SagaStore(saga, metadata, add_to_outbox, registry=CollectorRegistry())


async def started(database, store) -> uuid.UUID:
    saga_id = uuid.uuid4()
    async with database.transaction() as session:
        await store.start(session, saga_id, Item(id=str(saga_id)), T0)
    return saga_id


async def publish_all(database, at: datetime) -> None:
    """What the relay does once Kafka acknowledged the rows."""
    async with database.transaction() as session:
        await session.execute(
            update(outbox).where(outbox.c.published_at.is_(None)).values(published_at=at)
        )


async def sweep(database, store, now: datetime) -> list:
    decisions = []
    async with database.transaction() as session:
        for saga_id in await store.overdue(session, now, limit=10):
            async with store.on_deadline(session, saga_id, now) as decision:
                decisions.append(decision)
    return decisions


async def sends(database, saga_id) -> int:
    async with database.transaction() as session:
        rows = await session.scalars(select(outbox.c.id).where(outbox.c.key == str(saga_id)))
        return len(rows.all())


async def test_no_resend_while_the_command_waits_in_the_outbox(database, store):
    saga_id = await started(database, store)

    # Kafka is away for a minute: sweep after sweep, the deadline moves, nothing is sent.
    for seconds in (10, 20, 40, 60):
        (decision,) = await sweep(database, store, T0 + timedelta(seconds=seconds))
        assert decision.send == ()
        assert decision.state.attempts == 1
        assert decision.state.deadline_at == T0 + timedelta(seconds=seconds) + STEP
    assert await sends(database, saga_id) == 1
    assert store.metrics.deadlines_moved.labels("one-step")._value.get() == 4


async def test_the_clock_starts_when_the_command_is_published(database, store):
    saga_id = await started(database, store)
    published = T0 + timedelta(seconds=30)  # the relay was 30 s behind
    await publish_all(database, published)

    (moved,) = await sweep(database, store, published + timedelta(seconds=1))
    assert moved.send == ()
    assert moved.state.deadline_at == published + 2 * STEP  # the participant's full patience
    assert await sweep(database, store, published + 2 * STEP - timedelta(seconds=1)) == []

    (resent,) = await sweep(database, store, published + 2 * STEP)
    assert [o.message.TYPE for o in resent.send] == ["Hold"]
    assert resent.state.attempts == 2
    assert await sends(database, saga_id) == 2


async def test_a_command_published_on_time_keeps_its_deadline(database, store):
    saga_id = await started(database, store)
    await publish_all(database, T0)

    (resent,) = await sweep(database, store, T0 + 2 * STEP)

    assert resent.state.attempts == 2
    assert await sends(database, saga_id) == 2


async def test_a_saga_whose_data_does_not_read_is_set_aside_and_the_others_move_on(database, store):
    broken, healthy = await started(database, store), await started(database, store)
    await publish_all(database, T0)
    async with database.transaction() as session:
        await session.execute(update(sagas).where(sagas.c.id == broken).values(data={"no": 1}))

    decisions = await sweep(database, store, T0 + 2 * STEP)

    assert len(decisions) == 2  # the broken one no longer stops the sweep
    assert await sends(database, healthy) == 2
    assert await sends(database, broken) == 1
    async with database.transaction() as session:
        attention = await store.needing_attention(session)
    assert [saga_id for saga_id, _ in attention] == [broken]
    assert attention[0][1].startswith("data unreadable as Item")
    assert await sweep(database, store, T0 + timedelta(hours=1)) != []  # healthy's turn
    assert store.metrics.needs_attention.labels("one-step", "unreadable")._value.get() == 1
    async with database.transaction() as session:
        due = await store.overdue(session, T0 + timedelta(days=1), limit=10)
    assert broken not in due  # a restart does not meet it first again


async def test_the_waiting_gauge_counts_the_sagas_still_waiting_for_an_operator(database, store):
    broken, _ = await started(database, store), await started(database, store)
    async with database.transaction() as session:
        await session.execute(update(sagas).where(sagas.c.id == broken).values(data={"no": 1}))
    await sweep(database, store, T0 + 2 * STEP)
    waiting = store.metrics.waiting_for_operator.labels("one-step")

    async with database.transaction() as session:
        assert await store.count_waiting_for_operator(session) == 1
    assert waiting._value.get() == 1
    async with database.transaction() as session:  # an operator mends the data
        await session.execute(
            update(sagas).where(sagas.c.id == broken).values(data={"id": "x"}, attention=None)
        )
        assert await store.count_waiting_for_operator(session) == 0
    assert waiting._value.get() == 0  # unlike the counter, the alert's gauge falls back


async def test_make_sagas_lists_what_needs_attention(database, store, capsys):
    broken = await started(database, store)
    async with database.transaction() as session:
        await session.execute(update(sagas).where(sagas.c.id == broken).values(data={"no": 1}))
    await sweep(database, store, T0 + 2 * STEP)
    url = database.engine.url.render_as_string(hide_password=False)

    assert await asyncio.to_thread(attention.main, ["--database-url", url]) == 0

    # Only the table: an earlier test of the run may have sent JSON log lines to stdout too.
    out = printed(capsys.readouterr().out)
    assert out[0].split() == ["SAGA", "ID", "DEFINITION", "STATUS", "STEP", "SINCE", "WHY"]
    assert out[1].startswith(f"{broken}  one-step    RUNNING")
    assert "data unreadable as Item" in out[1]
