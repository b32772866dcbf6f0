"""The dead-letter command on a real Kafka: it lists what consumers gave up on and replays it.

Dead letters are written here by `publish_dead_letter`, the consumer's own writer, so
these tests need a broker but no database.
"""

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shopflow_kit.messaging.consumer_retry import TransientError
from shopflow_kit.messaging.dead_letters import dead_letter_topic, publish_dead_letter
from shopflow_kit.messaging.dlq_command import main
from shopflow_kit.messaging.envelope import Envelope, Message
from shopflow_testing.printed import printed

pytestmark = pytest.mark.integration

TRACE_HEADERS = [("traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]


class ReserveStock(Message):
    sku: str


@pytest.fixture
async def topic(kafka_topic, infra) -> AsyncIterator[str]:
    """A unique topic with its dead-letter topic."""
    topic = await kafka_topic()
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(dead_letter_topic(topic), 1, 1)])
        for _ in range(600):  # up to 30 s for the broker's metadata to show the new topic
            if dead_letter_topic(topic) in await admin.list_topics():
                break
            await asyncio.sleep(0.05)
        yield topic
        await admin.delete_topics([dead_letter_topic(topic)])
    finally:
        await admin.close()


@pytest.fixture
async def dead_letters(infra, topic) -> list[bytes]:
    """Two dead letters of `topic`: a command that kept failing, then bytes that are no envelope."""
    command = Envelope.wrap(ReserveStock(sku="MUG"), correlation_id="order-7").to_bytes()
    failures = [(command, TransientError("stock database away"), 5), (b"\x00", ValueError("?"), 1)]
    async with AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers) as producer:
        for offset, (value, error, attempts) in enumerate(failures):
            record = ConsumerRecord(
                topic, 0, 40 + offset, 0, 0, b"order-7", value, None, 7, len(value), TRACE_HEADERS
            )
            await publish_dead_letter(
                producer, record, error, attempts=attempts, consumer_group="shopflow.inventory"
            )
    return [command, b"\x00"]


async def dlq_command(capsys, *argv: str) -> tuple[int, str, str]:
    """Run the command (off the event loop: it runs its own); its exit code, what it printed
    on stdout (log lines left out), and stderr."""
    exit_code = await asyncio.to_thread(main, argv)
    out, err = capsys.readouterr()
    return exit_code, "".join(f"{line}\n" for line in printed(out)), err


async def records_of(bootstrap: str, topic: str, count: int) -> list[ConsumerRecord]:
    """The first `count` records of `topic` (TimeoutError if fewer ever arrive)."""
    records: list[ConsumerRecord] = []
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    async with consumer, asyncio.timeout(30):
        while len(records) < count:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records += batch
    return records


async def end_offset(bootstrap: str, topic: str) -> int:
    partition = TopicPartition(topic, 0)
    async with AIOKafkaConsumer(bootstrap_servers=bootstrap) as consumer:
        return (await consumer.end_offsets([partition]))[partition]


async def test_list_shows_each_dead_letter_oldest_first(infra, topic, dead_letters, capsys):
    command = Envelope.from_bytes(dead_letters[0])

    exit_code, out, _ = await dlq_command(
        capsys, "list", "--topic", topic, "--bootstrap", infra.kafka_bootstrap_servers
    )

    assert exit_code == 0
    header, failed_command, garbage = out.splitlines()
    assert header.split()[:2] == ["OFFSET", "MESSAGE"]
    assert failed_command.split()[:5] == [
        "0",
        str(command.message_id),
        "ReserveStock",
        "order-7",
        "5",
    ]
    assert failed_command.endswith("TransientError: stock database away")
    assert garbage.split()[:5] == ["1", "-", "-", "-", "1"]


async def test_replay_puts_the_chosen_record_back_unchanged(infra, topic, dead_letters, capsys):
    bootstrap = infra.kafka_bootstrap_servers
    message_id = str(Envelope.from_bytes(dead_letters[0]).message_id)

    exit_code, out, _ = await dlq_command(
        capsys, "replay", "--topic", topic, "--message-id", message_id, "--bootstrap", bootstrap
    )

    assert exit_code == 0
    assert out.startswith(f"replayed 1 dead letter(s) onto {topic}")
    [replayed] = await records_of(bootstrap, topic, 1)
    assert (replayed.key, replayed.value) == (b"order-7", dead_letters[0])
    assert list(replayed.headers) == TRACE_HEADERS  # the failure's headers stay behind
    assert await end_offset(bootstrap, topic) == 1


@pytest.mark.parametrize(
    ("choice", "replayed"),
    [(["--offset", "1"], [1]), (["--offset", "1", "--offset", "0"], [1, 0]), (["--all"], [0])],
)
async def test_replay_sends_what_was_chosen_in_the_order_given(
    infra, topic, dead_letters, capsys, choice, replayed
):
    bootstrap = infra.kafka_bootstrap_servers

    exit_code, _, _ = await dlq_command(
        capsys, "replay", "--topic", topic, *choice, "--bootstrap", bootstrap
    )

    assert exit_code == 0
    records = await records_of(bootstrap, topic, len(replayed))
    assert [r.value for r in records] == [dead_letters[i] for i in replayed]


async def test_asking_for_a_dead_letter_that_is_not_there_replays_nothing(
    infra, topic, dead_letters, capsys
):
    bootstrap = infra.kafka_bootstrap_servers
    unknown = str(uuid.uuid4())

    exit_code, _, err = await dlq_command(
        capsys, "replay", "--topic", topic, "--message-id", unknown, "--bootstrap", bootstrap
    )

    assert exit_code == 1
    assert f"no dead letter with message id {unknown}" in err
    assert await end_offset(bootstrap, topic) == 0


async def test_a_topic_without_a_dead_letter_topic_is_an_error(infra, kafka_topic, capsys):
    lonely = await kafka_topic()

    exit_code, _, err = await dlq_command(
        capsys, "list", "--topic", lonely, "--bootstrap", infra.kafka_bootstrap_servers
    )

    assert exit_code == 1
    assert f"no dead-letter topic '{lonely}.dlq'" in err


async def test_the_module_runs_with_the_broker_from_the_environment(infra, topic):
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "shopflow_kit.messaging.dlq_command",
        "list",
        "--topic",
        topic,
        env={**os.environ, "SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers},
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()

    assert process.returncode == 0
    assert out.decode().strip() == "no dead letters"  # an empty DLQ: read to its end, not waited on


async def test_a_broker_out_of_reach_is_reported_not_raised(capsys):
    exit_code, _, err = await dlq_command(
        capsys, "list", "--topic", "t", "--bootstrap", "127.0.0.1:1"
    )

    assert exit_code == 1
    assert "error: Kafka at 127.0.0.1:1" in err
