"""Rows Kafka will not take, on real PostgreSQL and Kafka: set aside, never in the way (ADR 0020).

A row too large for the broker, or whose headers are not text, is set aside at once; a
row whose topic is missing is held back, with its key's later rows, for the relay's
patience, then set aside. Every other row is published meanwhile, and a row put back
after the cause is fixed is published.
"""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, text

from shopflow_kit.db import Database, service_metadata
from shopflow_kit.messaging import Envelope, Message
from shopflow_kit.messaging.outbox import OUTBOX, add_to_outbox, outbox_row
from shopflow_kit.messaging.outbox_command import put_back_rows, set_aside_rows
from shopflow_kit.messaging.relay import OutboxRelay
from shopflow_testing.relaying import eventually, read_all, running

pytestmark = pytest.mark.integration

METADATA = service_metadata()
OUTBOX_TABLE = OUTBOX.declare(METADATA)
KEYS = [f"order-{i}" for i in range(4)]
BROKEN_KEY = KEYS[0]  # its first row cannot go; its later rows, and other keys', can


class OrderNoted(Message):
    n: int
    filler: tuple[int, ...] = ()


@pytest.fixture
async def database(database_with) -> Database:
    return await database_with(METADATA)


async def write(database: Database, topic: str, n: int) -> list[uuid.UUID]:
    """Message `n` for every key, in one transaction."""
    ids = []
    async with database.transaction() as session:
        for key in KEYS:
            envelope = Envelope.wrap(OrderNoted(n=n), correlation_id=key)
            await add_to_outbox(session, topic=topic, key=key, envelope=envelope)
            ids.append(envelope.message_id)
    return ids


async def write_unguarded(database: Database, row: dict[str, Any]) -> uuid.UUID:
    """A row as a bug, a hand edit or an older guard leaves it: past `add_to_outbox`'s checks."""
    async with database.transaction() as session:
        await session.execute(insert(OUTBOX_TABLE).values(row))
    return uuid.UUID(str(row["id"]))


def broken_row(topic: str, **changes: Any) -> dict[str, Any]:
    envelope = Envelope.wrap(OrderNoted(n=0), correlation_id=BROKEN_KEY)
    return {**outbox_row(topic=topic, key=BROKEN_KEY, envelope=envelope), **changes}


async def row_state(database: Database, row_id: uuid.UUID) -> Any:
    async with database.transaction() as session:
        statement = text(
            "SELECT published_at, failing_since, set_aside_at, last_error,"
            " extract(epoch FROM set_aside_at - failing_since) AS waited FROM outbox WHERE id = :id"
        )
        return (await session.execute(statement, {"id": row_id})).one()


async def published(database: Database, ids: list[uuid.UUID]) -> bool:
    async with database.transaction() as session:
        statement = text(
            "SELECT count(*) FROM outbox WHERE id = ANY(:ids) AND published_at IS NOT NULL"
        )
        return await session.scalar(statement, {"ids": ids}) == len(ids)


async def set_aside(database: Database, row_id: uuid.UUID) -> bool:
    return (await row_state(database, row_id)).set_aside_at is not None


def sample(relay: OutboxRelay, name: str, **labels: str) -> float:
    return relay.metrics.registry.get_sample_value(name, labels) or 0.0


async def records_of(bootstrap: str, topic: str) -> list[tuple[str, int, uuid.UUID]]:
    """(key, n, message id) of every record on `topic`, each key in its order."""
    records = await read_all(bootstrap, topic, partitions=1)
    envelopes = [Envelope.from_bytes(record.value) for record in records]
    return [(e.correlation_id, e.payload["n"], e.message_id) for e in envelopes]


# A payload of many small numbers: "0,0,…" compact, "0, 0, …" as JSONB text, half as long
# again. The old guard measured the compact JSON: this passed it, then stalled the outbox.
TOO_LARGE_AS_SENT = (0,) * 440_000


async def test_a_row_over_the_brokers_limit_is_set_aside_and_the_rows_behind_it_are_published(
    infra, kafka_topic, database, caplog
):
    topic = await kafka_topic()
    envelope = Envelope.wrap(OrderNoted(n=0, filler=TOO_LARGE_AS_SENT), correlation_id=BROKEN_KEY)
    huge = await write_unguarded(
        database,
        {
            **broken_row(topic),
            "id": envelope.message_id,
            "envelope": envelope.model_dump(mode="json"),
        },
    )
    behind = await write(database, topic, 1) + await write(database, topic, 2)
    relay = OutboxRelay(database, infra.kafka_bootstrap_servers, poll_interval=0.1)

    async with running(relay):
        await eventually(lambda: published(database, behind))
        await eventually(lambda: sample(relay, "outbox_rows_set_aside") == 1)

    state = await row_state(database, huge)
    assert state.published_at is None
    assert state.set_aside_at is not None
    assert "MessageSizeTooLargeError" in state.last_error
    assert sample(relay, "outbox_set_aside_total", reason="permanent") == 1
    assert sample(relay, "outbox_pending") == 0, "a row set aside is not pending"
    records = await records_of(infra.kafka_bootstrap_servers, topic)
    assert {message_id for *_, message_id in records} == set(behind)
    # The broken key's later rows went on without it, in their order (ADR 0020).
    assert [n for key, n, _ in records if key == BROKEN_KEY] == [1, 2]
    [logged] = [r.getMessage() for r in caplog.records if str(huge) in r.getMessage()]
    assert "set aside" in logged
    assert BROKEN_KEY in logged


async def test_a_row_the_broker_refuses_is_set_aside_alone_not_the_rows_batched_with_it(
    infra, kafka_topic, database
):
    """The topic's own limit, below the producer's: Kafka refuses the whole produce batch
    the row went in, with the small rows around it; only the row is set aside."""
    topic = await kafka_topic(configs={"max.message.bytes": "3000"})
    before = await write(database, topic, 1)
    envelope = Envelope.wrap(OrderNoted(n=2, filler=(0,) * 2000), correlation_id=BROKEN_KEY)
    async with database.transaction() as session:
        await add_to_outbox(session, topic=topic, key=BROKEN_KEY, envelope=envelope)
    after = await write(database, topic, 3)
    relay = OutboxRelay(database, infra.kafka_bootstrap_servers, poll_interval=0.1)

    async with running(relay):
        await eventually(lambda: published(database, before + after))
        await eventually(lambda: set_aside(database, envelope.message_id))

    assert "MessageSizeTooLargeError" in (await row_state(database, envelope.message_id)).last_error
    assert sample(relay, "outbox_set_aside_total", reason="permanent") == 1
    records = await records_of(infra.kafka_bootstrap_servers, topic)
    assert {message_id for *_, message_id in records} == set(before + after)


async def test_a_row_whose_headers_are_not_text_is_set_aside_and_the_rows_behind_it_published(
    infra, kafka_topic, database
):
    topic = await kafka_topic()
    bad = await write_unguarded(database, broken_row(topic, trace_context={"traceparent": 42}))
    behind = await write(database, topic, 1)
    relay = OutboxRelay(database, infra.kafka_bootstrap_servers, poll_interval=0.1)

    async with running(relay):
        await eventually(lambda: published(database, behind))
        await eventually(lambda: set_aside(database, bad))

    assert "trace_context is not text headers" in (await row_state(database, bad)).last_error
    assert sample(relay, "outbox_set_aside_total", reason="permanent") == 1


async def test_a_row_whose_topic_is_missing_is_held_back_for_the_patience_then_set_aside(
    infra, kafka_topic, database
):
    topic = await kafka_topic()
    missing = f"test.missing-{uuid.uuid4()}"
    lost = await write_unguarded(database, broken_row(missing))
    later_of_its_key, *other_keys = await write(database, topic, 1)
    patience = timedelta(seconds=3)
    relay = OutboxRelay(
        database,
        infra.kafka_bootstrap_servers,
        poll_interval=0.1,
        missing_topic_patience=patience,
    )

    async with running(relay):
        await eventually(lambda: published(database, other_keys))
        held = await row_state(database, lost)
        assert held.failing_since is not None
        assert held.set_aside_at is None
        assert "does not exist" in held.last_error
        assert not await published(database, [later_of_its_key]), "its key's order is kept"
        await eventually(lambda: set_aside(database, lost))
        await eventually(lambda: published(database, [later_of_its_key]))

    assert (await row_state(database, lost)).waited >= patience.total_seconds()
    assert sample(relay, "outbox_set_aside_total", reason="missing_topic") == 1
    assert sample(relay, "outbox_set_aside_total", reason="permanent") == 0


async def test_a_topic_created_within_the_patience_gets_its_rows_in_order_none_set_aside(
    infra, database, kafka_topic
):
    topic = f"test.created-late-{uuid.uuid4()}"
    ids = await write(database, topic, 0) + await write(database, topic, 1)
    relay = OutboxRelay(database, infra.kafka_bootstrap_servers, poll_interval=0.1)

    async with running(relay):

        async def held_back() -> bool:
            return all(
                [
                    (await row_state(database, row_id)).failing_since is not None
                    for row_id in ids[:4]
                ]
            )

        await eventually(held_back)
        await kafka_topic(name=topic)
        await eventually(lambda: published(database, ids))

    records = await records_of(infra.kafka_bootstrap_servers, topic)
    assert sorted(message_id for *_, message_id in records) == sorted(ids)
    assert all([n for k, n, _ in records if k == key] == [0, 1] for key in KEYS)
    assert sample(relay, "outbox_set_aside_total", reason="missing_topic") == 0


async def test_a_row_put_back_after_its_topic_is_created_is_published(infra, database, kafka_topic):
    missing = f"test.put-back-{uuid.uuid4()}"
    lost = await write_unguarded(database, broken_row(missing))
    relay = OutboxRelay(
        database,
        infra.kafka_bootstrap_servers,
        poll_interval=0.1,
        missing_topic_patience=timedelta(seconds=0.5),
    )

    async with running(relay):
        await eventually(lambda: set_aside(database, lost))
        await eventually(lambda: sample(relay, "outbox_rows_set_aside") == 1)
        async with database.engine.begin() as connection:
            [listed] = await set_aside_rows(connection)
            assert listed[:4] == (str(lost), "OrderNoted", missing, BROKEN_KEY)
        await kafka_topic(name=missing)
        async with database.engine.begin() as connection:
            assert await put_back_rows(connection, [lost]) == [lost]
            assert await put_back_rows(connection, [lost]) == [], "put back once"
            assert await put_back_rows(connection, [], every=True) == []
        await eventually(lambda: published(database, [lost]))
        await eventually(lambda: sample(relay, "outbox_rows_set_aside") == 0)

    [(key, _, message_id)] = await records_of(infra.kafka_bootstrap_servers, missing)
    assert (key, message_id) == (BROKEN_KEY, lost)


async def test_a_relay_during_a_broker_outage_sets_nothing_aside(infra, kafka_topic, database):
    if infra.kafka_outage is None:
        pytest.skip("this infrastructure cannot stop its broker")
    topic = await kafka_topic()
    relay = OutboxRelay(
        database,
        infra.kafka_bootstrap_servers,
        poll_interval=0.1,
        publish_timeout=1,
        missing_topic_patience=timedelta(seconds=0),  # any row thought missing: set aside
        max_backoff=infra.bus.relay_max_backoff_seconds,  # as the stack's relays wait it out
    )

    async with running(relay):
        async with infra.kafka_outage():
            ids = await write(database, topic, 0)
            await eventually(lambda: sample(relay, "outbox_publish_failures_total") >= 3)
        await eventually(lambda: published(database, ids), within=120)

    assert sample(relay, "outbox_set_aside_total", reason="missing_topic") == 0
    for row_id in ids:
        assert (await row_state(database, row_id)).failing_since is None
