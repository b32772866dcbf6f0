"""OutboxRelay on real PostgreSQL and Kafka: every message, in order per key, at least once.

Each test has a database of its own and a topic of its own; crashes are real (SIGKILL
of a relay process held at the moment named, by a failpoint), outages are real (the
broker is stopped), and a failed marking is PostgreSQL refusing it.
"""

import asyncio
import logging
import os
import sys
import uuid
from collections import Counter, defaultdict

import pytest
from aiokafka import ConsumerRecord
from sqlalchemy import Column, Identity, Integer, Table, Uuid, insert, select, text

from shopflow_kit.db import Database, service_metadata
from shopflow_kit.messaging import Envelope, Message
from shopflow_kit.messaging.consumer import MessageConsumer
from shopflow_kit.messaging.handlers import MessageHandlers
from shopflow_kit.messaging.inbox import INBOX
from shopflow_kit.messaging.outbox import OUTBOX, add_to_outbox, outbox_row
from shopflow_kit.messaging.relay import OutboxRelay
from shopflow_testing.failpoints import paused_at, pausing_at
from shopflow_testing.relaying import eventually, running
from shopflow_testing.relaying import read_all as read_topic

pytestmark = pytest.mark.integration

METADATA = service_metadata()
OUTBOX_TABLE = OUTBOX.declare(METADATA)
INBOX.declare(METADATA)
HANDLED = Table(  # what the consumer of the broker-outage test did, message by message
    "handled",
    METADATA,
    Column("id", Integer, Identity(always=True), primary_key=True),
    Column("message_id", Uuid, nullable=False),
)
KEYS = [f"order-{i}" for i in range(12)]
PARTITIONS = 3  # as the stack's topics have: keys spread, each key in one partition


class OrderNoted(Message):
    n: int  # the message's place in its key's order


@pytest.fixture
async def database(database_with) -> Database:
    return await database_with(METADATA)


async def write(database: Database, topic: str, rounds: range) -> list[uuid.UUID]:
    """One transaction per round, each adding message `n` = round for every key."""
    ids = []
    for n in rounds:
        async with database.transaction() as session:
            for key in KEYS:
                envelope = Envelope.wrap(OrderNoted(n=n), correlation_id=key)
                await add_to_outbox(session, topic=topic, key=key, envelope=envelope)
                ids.append(envelope.message_id)
    return ids


async def unpublished(database: Database) -> int:
    async with database.transaction() as session:
        rows = await session.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
    return int(rows or 0)


async def all_published(database: Database) -> bool:
    return await unpublished(database) == 0


async def all_handled(database: Database, ids: list[uuid.UUID]) -> bool:
    return set(await handled(database)) == set(ids)


async def read_all(bootstrap: str, topic: str) -> list[ConsumerRecord]:
    return await read_topic(bootstrap, topic, partitions=PARTITIONS)


def arrivals(records: list[ConsumerRecord]) -> tuple[Counter[uuid.UUID], dict[str, list[int]]]:
    """How often each message id arrived, and each key's `n`s in order of first arrival."""
    copies: Counter[uuid.UUID] = Counter()
    orders: dict[str, list[int]] = defaultdict(list)
    for record in records:
        envelope = Envelope.from_bytes(record.value)
        copies[envelope.message_id] += 1
        if copies[envelope.message_id] == 1:
            orders[record.key.decode()].append(envelope.payload["n"])
    return copies, orders


def sample(relay: OutboxRelay, name: str, **labels: str) -> float:
    return relay.metrics.registry.get_sample_value(name, labels) or 0.0


async def test_every_committed_message_is_published_once_in_order_per_key(
    infra, kafka_topic, database
):
    topic = await kafka_topic(partitions=PARTITIONS)
    ids = await write(database, topic, range(5))
    relay = OutboxRelay(database, infra.kafka_bootstrap_servers, batch_size=7, poll_interval=0.1)

    async with running(relay):
        ids += await write(database, topic, range(5, 10))
        await eventually(lambda: all_published(database))
        await eventually(lambda: sample(relay, "outbox_pending") == 0)
        assert sample(relay, "outbox_oldest_pending_age_seconds") == 0

    copies, orders = arrivals(await read_all(infra.kafka_bootstrap_servers, topic))
    assert copies == Counter(ids), "a message lost or published twice"
    assert orders == {key: list(range(10)) for key in KEYS}
    assert sample(relay, "outbox_published_total", topic=topic) == len(ids)
    assert sample(relay, "outbox_publish_lag_seconds_count") == len(ids)
    assert sample(relay, "outbox_publish_failures_total") == 0


async def test_the_trace_context_of_the_write_travels_as_kafka_headers(
    infra, kafka_topic, database
):
    topic = await kafka_topic(partitions=PARTITIONS)
    trace = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    envelope = Envelope.wrap(OrderNoted(n=0), correlation_id="order-0")
    async with database.transaction() as session:
        traced = envelope.model_copy(update={"trace_context": trace})
        await add_to_outbox(session, topic=topic, key="order-0", envelope=traced)

    async with running(OutboxRelay(database, infra.kafka_bootstrap_servers)):
        await eventually(lambda: all_published(database))

    [record] = await read_all(infra.kafka_bootstrap_servers, topic)
    [(name, value)] = record.headers  # one traceparent, never a second one
    # The write's trace: its own span as parent, or the relay's publish span under it when
    # a tracer provider is installed (an earlier test of the run may have installed one).
    version, trace_id, _parent, flags = value.decode().split("-")
    assert (name, version, trace_id, flags) == (
        "traceparent",
        "00",
        trace["traceparent"][3:35],
        "01",
    )
    assert Envelope.from_bytes(record.value) == traced


async def listening(database: Database, relay: OutboxRelay) -> list[int]:
    """The pids of `relay`'s LISTEN connections to this database."""
    async with database.transaction() as session:
        pids = await session.scalars(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name = :name AND query LIKE 'LISTEN%'"
            ),
            {"name": relay.name},
        )
    return list(pids)


async def test_a_commit_wakes_an_idle_relay_long_before_its_poll_interval(
    infra, kafka_topic, database
):
    topic = await kafka_topic(partitions=PARTITIONS)
    relay = OutboxRelay(database, infra.kafka_bootstrap_servers, poll_interval=60)

    async with running(relay):
        await eventually(lambda: listening(database, relay))
        for n in range(3):  # three in a row: a lucky poll cannot pass for a wake-up
            await write(database, topic, range(n, n + 1))
            await eventually(lambda: all_published(database), within=10)


async def test_a_relay_whose_listen_connection_was_killed_listens_again(
    infra, kafka_topic, database
):
    topic = await kafka_topic(partitions=PARTITIONS)
    relay = OutboxRelay(database, infra.kafka_bootstrap_servers, poll_interval=60)

    async with running(relay):
        await eventually(lambda: listening(database, relay))
        [killed] = await listening(database, relay)
        async with database.transaction() as session:
            await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": killed})

        async def listening_anew() -> bool:
            return any(pid != killed for pid in await listening(database, relay))

        await eventually(listening_anew)
        await write(database, topic, range(1))
        await eventually(lambda: all_published(database), within=10)


async def test_rows_committed_without_a_notification_are_found_by_polling(
    infra, kafka_topic, database
):
    topic = await kafka_topic(partitions=PARTITIONS)
    envelope = Envelope.wrap(OrderNoted(n=0), correlation_id="order-0")
    relay = OutboxRelay(database, infra.kafka_bootstrap_servers, poll_interval=0.2)

    async with running(relay):
        async with database.transaction() as session:  # a write whose NOTIFY went astray
            row = outbox_row(topic=topic, key="order-0", envelope=envelope)
            await session.execute(insert(OUTBOX_TABLE).values(row))
        await eventually(lambda: all_published(database), within=10)


# A sequence, not a table: nextval() is not rolled back with the marking it fails.
# (A crash in the same place is the failpoint test below: this is the database refusing.)
FAIL_THE_FIRST_MARKING = [
    "CREATE SEQUENCE markings",
    """CREATE FUNCTION fail_the_first_marking() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           IF nextval('markings') = 1 THEN
               RAISE EXCEPTION 'the marking of an acknowledged batch is refused';
           END IF;
           RETURN NULL;
       END $$""",
    """CREATE TRIGGER fail_the_first_marking BEFORE UPDATE ON outbox
       FOR EACH STATEMENT EXECUTE FUNCTION fail_the_first_marking()""",
]


async def test_a_batch_whose_marking_fails_is_published_again_as_the_same_messages(
    infra, kafka_topic, database
):
    topic = await kafka_topic(partitions=PARTITIONS)
    async with database.transaction() as session:
        for statement in FAIL_THE_FIRST_MARKING:
            await session.execute(text(statement))
    ids = await write(database, topic, range(2))  # one batch: every row in the failed attempt
    relay = OutboxRelay(database, infra.kafka_bootstrap_servers, poll_interval=0.1)

    async with running(relay):
        await eventually(lambda: all_published(database))

    copies, orders = arrivals(await read_all(infra.kafka_bootstrap_servers, topic))
    assert copies == Counter(ids * 2), "each message twice, under its one id: inboxes drop the copy"
    assert orders == {key: [0, 1] for key in KEYS}
    assert sample(relay, "outbox_publish_failures_total") == 1


async def test_two_relays_on_one_outbox_publish_each_row_once_and_each_key_in_order(
    infra, kafka_topic, database
):
    topic = await kafka_topic(partitions=PARTITIONS)
    # Batches smaller than the key count keep both relays busy; a batch holds several
    # rows of a key, so splitting a key between relays would show in the topic.
    relays = [
        OutboxRelay(database, infra.kafka_bootstrap_servers, batch_size=8, name=f"relay-{i}")
        for i in (1, 2)
    ]
    ids = await write(database, topic, range(20))

    async with running(*relays):
        ids += await write(database, topic, range(20, 40))
        await eventually(lambda: all_published(database))

    copies, orders = arrivals(await read_all(infra.kafka_bootstrap_servers, topic))
    assert copies == Counter(ids)
    assert orders == {key: list(range(40)) for key in KEYS}
    assert all(sample(relay, "outbox_published_total", topic=topic) > 0 for relay in relays)


async def published_ids(database: Database) -> set[uuid.UUID]:
    async with database.transaction() as session:
        ids = await session.scalars(text("SELECT id FROM outbox WHERE published_at IS NOT NULL"))
    return set(ids)


async def test_a_relay_cancelled_mid_drain_has_marked_only_what_kafka_acknowledged(
    infra, kafka_topic, database
):
    topic = await kafka_topic(partitions=PARTITIONS)
    ids = await write(database, topic, range(100))
    relay = OutboxRelay(database, infra.kafka_bootstrap_servers, batch_size=5)

    async with running(relay):
        await eventually(lambda: sample(relay, "outbox_published_total", topic=topic) >= 100)
    marked = await published_ids(database)
    assert len(marked) < len(ids), "precondition: cancelled before the outbox was drained"
    assert marked <= set(arrivals(await read_all(infra.kafka_bootstrap_servers, topic))[0])

    async with running(OutboxRelay(database, infra.kafka_bootstrap_servers)):
        await eventually(lambda: all_published(database))
    copies, orders = arrivals(await read_all(infra.kafka_bootstrap_servers, topic))
    assert set(copies) == set(ids)
    assert orders == {key: list(range(100)) for key in KEYS}


RELAY_PROCESS = """
import asyncio, sys
from shopflow_kit.db import Database
from shopflow_kit.messaging.relay import OutboxRelay
asyncio.run(OutboxRelay(Database(sys.argv[1]), sys.argv[2], batch_size=5).run())
"""


async def test_a_relay_killed_after_the_acks_before_marking_loses_nothing_and_resends_the_batch(
    infra, kafka_topic, database
):
    topic = await kafka_topic(partitions=PARTITIONS)
    ids = await write(database, topic, range(10))  # 120 rows: 24 batches of 5
    url = database.engine.url.render_as_string(hide_password=False)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        RELAY_PROCESS,
        url,
        infra.kafka_bootstrap_servers,
        env={**os.environ, **pausing_at("relay.after-publish")},
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await paused_at(process, "relay.after-publish")
        # The window: the first batch is in Kafka, acknowledged; not one row is marked.
        in_kafka = arrivals(await read_all(infra.kafka_bootstrap_servers, topic))[0]
        assert set(in_kafka) == set(ids[:5])
        assert await unpublished(database) == len(ids)
    finally:
        process.kill()  # SIGKILL: no finally, no rollback, no goodbye
        await process.wait()

    async with running(OutboxRelay(database, infra.kafka_bootstrap_servers)):
        await eventually(lambda: all_published(database))

    copies, orders = arrivals(await read_all(infra.kafka_bootstrap_servers, topic))
    assert copies == Counter(ids) + Counter(ids[:5]), "the batch again, under the same ids"
    assert orders == {key: list(range(10)) for key in KEYS}


async def handled(database: Database) -> list[uuid.UUID]:
    """The ids the consumer handled, in the order it committed them."""
    async with database.transaction() as session:
        rows = await session.scalars(select(HANDLED.c.message_id).order_by(HANDLED.c.id))
    return list(rows)


async def test_while_kafka_is_down_writes_commit_and_the_backlog_reaches_a_running_consumer_once(
    infra, kafka_topic, database, caplog
):
    """The broker stopped under a running relay and a running consumer, then started again."""
    if infra.kafka_outage is None:
        pytest.skip("this infrastructure cannot stop its broker")
    caplog.set_level(logging.INFO, logger="shopflow_kit.messaging")
    topic = await kafka_topic(partitions=PARTITIONS, dead_letters=True)

    async def note(session, message, envelope):
        await session.execute(insert(HANDLED).values(message_id=envelope.message_id))

    relay = OutboxRelay(
        database,
        infra.kafka_bootstrap_servers,
        poll_interval=0.1,
        publish_timeout=2,
        max_backoff=infra.bus.relay_max_backoff_seconds,  # as the stack's relays wait it out
    )
    consumer = MessageConsumer(
        database,
        infra.kafka_bootstrap_servers,
        group_id=f"{topic}.group",
        topics=[topic],
        handlers=MessageHandlers().add(OrderNoted, note),
        session_timeout=infra.bus.session_timeout_seconds,
        heartbeat_interval=infra.bus.heartbeat_interval_seconds,
    )

    async with running(relay, consumer):
        ids = await write(database, topic, range(2))
        await eventually(lambda: all_handled(database, ids))
        async with infra.kafka_outage():
            ids += await write(database, topic, range(2, 6))  # the service keeps committing
            await eventually(lambda: sample(relay, "outbox_publish_failures_total") >= 2)
            await eventually(lambda: sample(relay, "outbox_pending") == 4 * len(KEYS))
            await eventually(lambda: sample(relay, "outbox_oldest_pending_age_seconds") > 1)
        await eventually(lambda: all_handled(database, ids), within=120)

    copies, orders = arrivals(await read_all(infra.kafka_bootstrap_servers, topic))
    assert set(copies) == set(ids)
    assert max(copies.values()) <= 2, "a copy per failed attempt would pile up"
    assert orders == {key: list(range(6)) for key in KEYS}
    assert sorted(await handled(database)) == sorted(ids), "each handled once: copies skipped"
    outage = [r.getMessage() for r in caplog.records if r.name.endswith("relay_outage")]
    assert len(outage) == 2, "said once when it began, once when it ended"
    assert "Kafka unavailable" in outage[0]
    assert "publishes again" in outage[1]
