"""MessageConsumer on a real PostgreSQL and a real Kafka: every message takes effect exactly once.

Each test publishes to fresh topics, lets consumers run as background tasks, and waits
for the condition that means "done": the group's committed offsets reaching the end of
what was published (offsets are committed only after the database transaction).
"""

import asyncio
import os
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    CoordinatorLoadInProgressError,
    CoordinatorNotAvailableError,
    NotCoordinatorError,
)
from prometheus_client import CollectorRegistry
from sqlalchemy import Column, Identity, Integer, Table, Text, Uuid, insert, select, text

from shopflow_kit.db import Database, service_metadata
from shopflow_kit.messaging.consumer import MessageConsumer
from shopflow_kit.messaging.consumer_retry import ConsumerRetryPolicy, TransientError
from shopflow_kit.messaging.dead_letters import (
    dead_letter_topic,
    read_dead_letters,
    replay_dead_letters,
)
from shopflow_kit.messaging.envelope import Envelope, Message
from shopflow_kit.messaging.handlers import MessageHandlers
from shopflow_kit.messaging.inbox import INBOX
from shopflow_testing.failpoints import paused_at, pausing_at

pytestmark = pytest.mark.integration

METADATA = service_metadata()
INBOX.declare(METADATA)
EFFECTS = Table(  # what handlers do: one row per handling, so a second effect shows
    "effects",
    METADATA,
    Column("id", Integer, Identity(always=True), primary_key=True),
    Column("message_id", Uuid, nullable=False),
    Column("consumer", Text, nullable=False),
)
FAST_RETRIES = ConsumerRetryPolicy(attempts=3, backoff_seconds=0.01, max_backoff_seconds=0.05)


class NoteTaken(Message):
    n: int  # partition × 100 + place in the partition, in the rebalance test


class NeverHandled(Message):
    """A type this consumer has no handler for."""


def envelope(n: int) -> Envelope:
    return Envelope.wrap(NoteTaken(n=n), correlation_id=f"order-{n}")


def take_note(consumer: str = "only"):
    async def handle(session, message, envelope):
        await session.execute(
            insert(EFFECTS).values(message_id=envelope.message_id, consumer=consumer)
        )

    return handle


@pytest.fixture
async def database(database_with) -> Database:
    return await database_with(METADATA)


@pytest.fixture
async def admin(infra) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap_servers)
    await admin.start()
    yield admin
    await admin.close()


@pytest.fixture
def new_topic(kafka_topic, admin):
    """A factory: `await new_topic(partitions)` makes a unique topic and its dead-letter topic."""

    async def create(partitions: int = 1) -> str:
        topic = await kafka_topic(partitions=partitions, dead_letters=True)

        async def known() -> bool:  # the consumer refuses to start without its topics
            return {topic, dead_letter_topic(topic)} <= set(await admin.list_topics())

        await eventually(known, lambda: f"{topic} never appeared in the metadata")
        return topic

    return create


@pytest.fixture
async def topic(new_topic) -> str:
    return await new_topic()


@pytest.fixture
def group(request) -> str:
    return f"test.{request.node.name}.{uuid.uuid4().hex[:8]}"


@pytest.fixture
def consumer_of(database, infra, topic, group):
    """A factory: a consumer of `topic` in `group`, handling NoteTaken with `handler`."""

    def create(handler=None, *, topics=None, registry=None, together=1) -> MessageConsumer:
        return MessageConsumer(
            database,
            infra.kafka_bootstrap_servers,
            group_id=group,
            topics=topics or [topic],
            handlers=MessageHandlers().add(NoteTaken, handler or take_note()),
            retry=FAST_RETRIES,
            registry=registry,
            records_per_transaction=together,
            session_timeout=infra.bus.session_timeout_seconds,
            heartbeat_interval=infra.bus.heartbeat_interval_seconds,
        )

    return create


@asynccontextmanager
async def running(consumer: MessageConsumer) -> AsyncIterator[asyncio.Task[None]]:
    """`consumer.run()` as a task, cancelled on leaving: the way a shutdown or a crash stops it."""
    task = asyncio.create_task(consumer.run())
    try:
        yield task
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def publish(bootstrap: str, topic: str, *values: bytes, partition: int = 0):
    """Send `values` in order to one partition; return the end offset they reached."""
    async with AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all") as producer:
        for value in values:
            sent = await producer.send_and_wait(topic, value, key=b"order", partition=partition)
    return {TopicPartition(topic, partition): sent.offset + 1}


async def committed(admin, group: str, partitions) -> dict[TopicPartition, int]:
    """The group's committed offsets; -1 where it has none."""
    offsets = await admin.list_consumer_group_offsets(group, partitions=list(partitions))
    return {p: offsets[p].offset if p in offsets else -1 for p in partitions}


# What the group coordinator answers while it loads or moves a new group: ask again.
COORDINATOR_BUSY = (
    CoordinatorLoadInProgressError,
    CoordinatorNotAvailableError,
    NotCoordinatorError,
)


async def eventually(check: Callable[[], Awaitable[bool]], failure: Callable[[], str]) -> None:
    """Wait for `check()` to hold; fail with `failure()` if it does not within 30 s."""
    try:
        async with asyncio.timeout(30):
            while True:
                with suppress(*COORDINATOR_BUSY):
                    if await check():
                        return
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail(failure())


async def wait_until_committed(task, admin, group: str, ends: dict[TopicPartition, int]) -> None:
    """Wait until `group` committed `ends`: everything published so far has been dealt with."""
    last: dict[TopicPartition, int] = {}

    async def all_committed() -> bool:
        nonlocal last
        if task.done():
            task.result()  # raises what stopped the consumer
            pytest.fail("the consumer stopped")
        last = await committed(admin, group, ends)
        return last == ends

    await eventually(all_committed, lambda: f"committed {last}, expected {ends}")


async def effects(database: Database) -> list[tuple[object, str]]:
    async with database.transaction() as session:
        rows = await session.execute(
            select(EFFECTS.c.message_id, EFFECTS.c.consumer).order_by(EFFECTS.c.id)
        )
        return [tuple(row) for row in rows]


def consumed(registry: CollectorRegistry, topic: str, outcome: str, type_: str = "NoteTaken"):
    labels = {"topic": topic, "type": type_, "outcome": outcome}
    return registry.get_sample_value("messages_consumed_total", labels)


@pytest.mark.parametrize("together", [1, 20])
async def test_a_message_delivered_twice_takes_effect_once(
    infra, database, admin, topic, group, consumer_of, together
):
    sent, registry = envelope(1), CollectorRegistry()
    ends = await publish(infra.kafka_bootstrap_servers, topic, sent.to_bytes(), sent.to_bytes())

    async with running(consumer_of(registry=registry, together=together)) as task:
        await wait_until_committed(task, admin, group, ends)

    assert await effects(database) == [(sent.message_id, "only")]
    assert consumed(registry, topic, "handled") == 1
    assert consumed(registry, topic, "duplicate") == 1


async def test_offsets_rewound_to_the_beginning_cause_no_second_effect(
    infra, database, admin, topic, group, consumer_of
):
    sent = [envelope(n) for n in range(3)]
    ends = await publish(infra.kafka_bootstrap_servers, topic, *(e.to_bytes() for e in sent))
    async with running(consumer_of()) as task:
        await wait_until_committed(task, admin, group, ends)

    await rewind(infra.kafka_bootstrap_servers, group, ends)
    assert set((await committed(admin, group, ends)).values()) == {0}
    registry = CollectorRegistry()
    async with running(consumer_of(registry=registry)) as task:
        await wait_until_committed(task, admin, group, ends)

    assert await effects(database) == [(e.message_id, "only") for e in sent]
    assert consumed(registry, topic, "duplicate") == 3  # all read again, all skipped


async def rewind(bootstrap: str, group: str, ends: dict[TopicPartition, int]) -> None:
    """Reset the (idle) group's offsets to 0, as an operator replaying a topic would."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    async with consumer:
        consumer.assign(list(ends))
        await consumer.commit(dict.fromkeys(ends, 0))


@pytest.mark.parametrize("together", [1, 20])
async def test_a_transient_failure_is_retried_and_takes_effect_once(
    infra, database, admin, topic, group, consumer_of, together
):
    failures_left = 2
    handle = take_note()

    async def fail_twice(session, message, envelope):
        nonlocal failures_left
        await handle(session, message, envelope)  # written, then rolled back by the failure
        if failures_left:
            failures_left -= 1
            raise TransientError("stock service briefly away")

    sent, registry = envelope(1), CollectorRegistry()
    ends = await publish(infra.kafka_bootstrap_servers, topic, sent.to_bytes())
    async with running(consumer_of(fail_twice, registry=registry, together=together)) as task:
        await wait_until_committed(task, admin, group, ends)

    assert await effects(database) == [(sent.message_id, "only")]
    labels = {"topic": topic, "type": "NoteTaken"}
    assert registry.get_sample_value("message_retries_total", labels) == 2
    assert await read_dead_letters(infra.kafka_bootstrap_servers, topic) == []


async def test_a_dropped_database_connection_is_retried(
    infra, database, admin, topic, group, consumer_of
):
    dropped = False
    handle = take_note()

    async def drop_connection_once(session, message, envelope):
        nonlocal dropped
        if not dropped:
            dropped = True
            await session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        await handle(session, message, envelope)

    sent = envelope(1)
    ends = await publish(infra.kafka_bootstrap_servers, topic, sent.to_bytes())
    async with running(consumer_of(drop_connection_once)) as task:
        await wait_until_committed(task, admin, group, ends)

    assert dropped
    assert await effects(database) == [(sent.message_id, "only")]
    assert await read_dead_letters(infra.kafka_bootstrap_servers, topic) == []


@pytest.mark.parametrize("together", [1, 20])
async def test_poison_messages_are_dead_lettered_and_the_messages_behind_them_handled(
    infra, database, admin, topic, group, consumer_of, together
):
    async def handle(session, message, envelope):
        if message.n == 666:
            raise TransientError("never recovers")
        if message.n == 999:
            raise ValueError("a bug: fails the same way every time")
        await take_note()(session, message, envelope)

    good = [envelope(n) for n in range(6)]
    poison = [
        b"\x00not an envelope",
        Envelope.wrap(NeverHandled(), correlation_id="order-x").to_bytes(),
        Envelope(type="NoteTaken", schema_version=2, correlation_id="o", payload={}).to_bytes(),
        Envelope(
            type="NoteTaken", schema_version=1, correlation_id="o", payload={"n": "x"}
        ).to_bytes(),
        envelope(666).to_bytes(),
        envelope(999).to_bytes(),
    ]
    interleaved = [
        value for e, bad in zip(good, poison, strict=True) for value in (e.to_bytes(), bad)
    ]
    registry = CollectorRegistry()
    ends = await publish(infra.kafka_bootstrap_servers, topic, *interleaved)

    async with running(consumer_of(handle, registry=registry, together=together)) as task:
        await wait_until_committed(task, admin, group, ends)

    assert await effects(database) == [(e.message_id, "only") for e in good]  # in order
    letters = await read_dead_letters(infra.kafka_bootstrap_servers, topic)
    assert [(d.error_class, d.attempts, d.original_offset) for d in letters] == [
        ("MalformedMessageError", 1, 1),  # not an envelope
        ("UnknownMessageTypeError", 1, 3),  # no handler for the type
        ("UnknownMessageTypeError", 1, 5),  # a version this consumer does not know
        ("MalformedMessageError", 1, 7),  # a payload that does not fit its type
        ("TransientError", FAST_RETRIES.attempts, 9),  # still failing after every attempt
        ("ValueError", 1, 11),  # would fail the same way again: not retried
    ]
    assert [d.value for d in letters] == poison
    assert {(d.original_topic, d.original_partition, d.consumer_group) for d in letters} == {
        (topic, 0, group)
    }
    assert "never recovers" in letters[4].error_message
    assert consumed(registry, topic, "dead_lettered", "unreadable") == 1


def take_note_of_transaction():
    """A handler noting the transaction it ran in, instead of the consumer's name."""

    async def handle(session, message, envelope):
        transaction = await session.scalar(text("SELECT txid_current()::text"))
        await session.execute(
            insert(EFFECTS).values(message_id=envelope.message_id, consumer=transaction)
        )

    return handle


async def test_records_that_arrived_together_share_a_transaction(
    infra, database, admin, topic, group, consumer_of
):
    sent = [envelope(n) for n in range(10)]
    ends = await publish(infra.kafka_bootstrap_servers, topic, *(e.to_bytes() for e in sent))

    async with running(consumer_of(take_note_of_transaction(), together=20)) as task:
        await wait_until_committed(task, admin, group, ends)

    taken = await effects(database)
    assert [message_id for message_id, _ in taken] == [e.message_id for e in sent]  # in order
    assert len({transaction for _, transaction in taken}) < len(sent)


async def test_a_failure_among_records_together_undoes_them_all_and_each_goes_alone(
    infra, database, admin, topic, group, consumer_of
):
    failed = False
    handle = take_note_of_transaction()

    async def fail_the_fourth_once(session, message, envelope):
        nonlocal failed
        await handle(session, message, envelope)  # written, then rolled back with the others
        if message.n == 3 and not failed:
            failed = True
            raise TransientError("briefly away")

    sent, registry = [envelope(n) for n in range(10)], CollectorRegistry()
    ends = await publish(infra.kafka_bootstrap_servers, topic, *(e.to_bytes() for e in sent))
    async with running(consumer_of(fail_the_fourth_once, registry=registry, together=20)) as task:
        await wait_until_committed(task, admin, group, ends)

    taken = await effects(database)
    assert failed
    assert [message_id for message_id, _ in taken] == [e.message_id for e in sent]  # once each
    transactions = [transaction for _, transaction in taken]
    assert transactions.count(transactions[3]) == 1  # after the failure, alone
    assert consumed(registry, topic, "handled") == len(sent)
    labels = {"topic": topic, "type": "NoteTaken"}
    assert registry.get_sample_value("message_retries_total", labels) is None  # alone, it passed


async def test_a_dead_letter_replayed_after_a_fix_takes_effect_once(
    infra, database, admin, topic, group, consumer_of
):
    fixed = False

    async def broken_until_fixed(session, message, envelope):
        if not fixed:
            raise ValueError("a bug in the handler")
        await take_note()(session, message, envelope)

    sent = envelope(1)
    bootstrap = infra.kafka_bootstrap_servers
    ends = await publish(bootstrap, topic, sent.to_bytes())
    async with running(consumer_of(broken_until_fixed)) as task:
        await wait_until_committed(task, admin, group, ends)
        [letter] = await read_dead_letters(bootstrap, topic)
        assert await effects(database) == []

        fixed = True
        await replay_dead_letters(bootstrap, topic, [letter])
        await wait_until_committed(task, admin, group, {p: end + 1 for p, end in ends.items()})
        assert await effects(database) == [(sent.message_id, "only")]

        await replay_dead_letters(bootstrap, topic, [letter])  # again, by mistake
        await wait_until_committed(task, admin, group, {p: end + 2 for p, end in ends.items()})
    assert await effects(database) == [(sent.message_id, "only")]
    assert await read_dead_letters(bootstrap, topic) == [letter]  # skipped, not failed again


CONSUMER_PROCESS = """
import asyncio, sys
from sqlalchemy import Column, Integer, MetaData, Table, Text, Uuid, insert
from shopflow_kit.db import Database
from shopflow_kit.messaging.consumer import MessageConsumer
from shopflow_kit.messaging.envelope import Message
from shopflow_kit.messaging.handlers import MessageHandlers

class NoteTaken(Message):
    n: int

EFFECTS = Table("effects", MetaData(), Column("id", Integer, primary_key=True),
                Column("message_id", Uuid), Column("consumer", Text))

async def take_note(session, message, envelope):
    row = {"message_id": envelope.message_id, "consumer": "crashed"}
    await session.execute(insert(EFFECTS).values(row))

url, bootstrap, group, topic, session, heartbeat = sys.argv[1:]
consumer = MessageConsumer(Database(url), bootstrap, group_id=group, topics=[topic],
                           handlers=MessageHandlers().add(NoteTaken, take_note),
                           session_timeout=float(session), heartbeat_interval=float(heartbeat))
asyncio.run(consumer.run())
"""


@pytest.fixture
async def consumer_process(database, infra, topic, group):
    """A factory: a consumer of `topic` in `group` in a process of its own, stopped at the
    failpoint given; killed (if still there) after the test."""
    started: list[asyncio.subprocess.Process] = []

    async def start(failpoint: str) -> asyncio.subprocess.Process:
        url = database.engine.url.render_as_string(hide_password=False)
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-c", CONSUMER_PROCESS, url, infra.kafka_bootstrap_servers),
            *(group, topic),
            # Killed, it holds its partition until its session ends: the stack's, as a
            # killed replica's; what the restarted consumer below waits for.
            *(str(infra.bus.session_timeout_seconds), str(infra.bus.heartbeat_interval_seconds)),
            env={**os.environ, **pausing_at(failpoint)},
            stderr=asyncio.subprocess.PIPE,
        )
        started.append(process)
        await paused_at(process, failpoint)
        return process

    yield start
    for process in started:
        if process.returncode is None:
            await crash(process)


async def crash(process: asyncio.subprocess.Process) -> None:
    process.kill()  # SIGKILL, where the failpoint held it
    await process.wait()


async def transactions_open(database: Database) -> int:
    """Connections to the test's database inside a transaction they have not ended."""
    async with database.transaction() as session:
        count = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND state = 'idle in transaction' AND pid <> pg_backend_pid()"
            )
        )
    return int(count or 0)


async def test_a_consumer_killed_before_its_transaction_commits_leaves_no_trace(
    infra, database, admin, topic, group, consumer_of, consumer_process
):
    sent = envelope(1)
    ends = await publish(infra.kafka_bootstrap_servers, topic, sent.to_bytes())
    process = await consumer_process("consumer.before-commit")
    try:
        # The window: the effect and the inbox row written in a transaction still open.
        assert await transactions_open(database) == 1
        assert await effects(database) == []
    finally:
        await crash(process)

    assert await committed(admin, group, ends) == dict.fromkeys(ends, -1)
    registry = CollectorRegistry()
    async with running(consumer_of(take_note("restarted"), registry=registry)) as task:
        await wait_until_committed(task, admin, group, ends)
    assert await effects(database) == [(sent.message_id, "restarted")]
    assert consumed(registry, topic, "handled") == 1


async def test_a_consumer_killed_after_its_commit_before_the_offset_takes_no_second_effect(
    infra, database, admin, topic, group, consumer_of, consumer_process
):
    sent = envelope(1)
    ends = await publish(infra.kafka_bootstrap_servers, topic, sent.to_bytes())
    process = await consumer_process("consumer.before-offset-commit")
    try:
        # The window: the effect committed with the inbox row; the offset not committed.
        assert await effects(database) == [(sent.message_id, "crashed")]
        assert await committed(admin, group, ends) == dict.fromkeys(ends, -1)
    finally:
        await crash(process)

    registry = CollectorRegistry()
    async with running(consumer_of(take_note("restarted"), registry=registry)) as task:
        await wait_until_committed(task, admin, group, ends)
    assert await effects(database) == [(sent.message_id, "crashed")]  # delivered again, skipped
    assert consumed(registry, topic, "duplicate") == 1


async def test_a_consumer_stopping_mid_stream_hands_over_every_message_exactly_once(
    infra, database, admin, new_topic, group, consumer_of
):
    topic = await new_topic(partitions=3)
    a_is_mid_message, never = asyncio.Event(), asyncio.Event()
    a_calls = 0

    async def a_stops_in_its_fourth(session, message, envelope):
        nonlocal a_calls
        a_calls += 1
        await take_note("a")(session, message, envelope)
        if a_calls == 4:
            a_is_mid_message.set()
            await never.wait()

    sent = {p: [envelope(p * 100 + i) for i in range(10)] for p in range(3)}
    async with running(consumer_of(take_note("b"), topics=[topic])) as b_task:
        async with running(consumer_of(a_stops_in_its_fourth, topics=[topic])):
            await wait_for_members(admin, group, 2)  # both own partitions before anything is sent
            ends = {}
            for partition, envelopes in sent.items():
                values = (e.to_bytes() for e in envelopes)
                ends |= await publish(
                    infra.kafka_bootstrap_servers, topic, *values, partition=partition
                )
            await asyncio.wait_for(a_is_mid_message.wait(), timeout=30)
        # a is gone mid-message; b takes its partitions over and carries on from a's commits
        await wait_until_committed(b_task, admin, group, ends)

    rows = await effects(database)
    partition_of = {e.message_id: p for p, envelopes in sent.items() for e in envelopes}
    assert Counter(message_id for message_id, _ in rows) == dict.fromkeys(partition_of, 1)
    assert Counter(consumer for _, consumer in rows)["a"] == 3  # its fourth was rolled back
    assert {partition_of[message_id] for message_id, consumer in rows if consumer == "b"} == {
        0,
        1,
        2,
    }


async def wait_for_members(admin, group: str, members: int) -> None:
    """Wait until `members` consumers share `group`, each with its partitions assigned."""

    async def stable() -> bool:
        [response] = await admin.describe_consumer_groups([group])
        [description] = response.to_object()["groups"]
        return description["state"] == "Stable" and len(description["members"]) == members

    await eventually(stable, lambda: f"{group} never had {members} members")
