"""The broker really is Apache Kafka: durable, idempotent, ordered per partition, restartable."""

import asyncio
from collections import defaultdict

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

pytestmark = pytest.mark.integration

MESSAGES = 1000


async def consume_all(bootstrap: str, topic: str, expected: int) -> list[tuple[int, bytes]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    received: list[tuple[int, bytes]] = []
    try:
        while len(received) < expected:
            batches = await consumer.getmany(timeout_ms=10_000)
            if not batches:
                break  # nothing more within 10 s: the assertion below says what is missing
            for partition, records in batches.items():
                received += [(partition.partition, r.value) for r in records]
    finally:
        await consumer.stop()
    return received


async def test_a_message_produced_is_consumed(infra, kafka_topic):
    topic = await kafka_topic()
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"hello", key=b"order-1")
    finally:
        await producer.stop()

    assert await consume_all(infra.kafka_bootstrap_servers, topic, 1) == [(0, b"hello")]


async def test_every_acknowledged_message_survives_a_broker_restart_once_and_in_order(
    infra, kafka_topic
):
    if infra.kafka_outage is None:
        pytest.skip("this infrastructure cannot restart its broker in place")
    topic = await kafka_topic(partitions=3)
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=60_000,
    )
    await producer.start()
    try:
        before = [
            producer.send(topic, f"{i}".encode(), key=f"order-{i % 7}".encode())
            for i in range(MESSAGES // 2)
        ]
        await asyncio.gather(*before)
        async with infra.kafka_outage():
            pass  # a restart: stopped, then started again on the same port and data
        # The same producer carries on: it reconnects, and its sequence numbers stay valid.
        after = [
            producer.send(topic, f"{i}".encode(), key=f"order-{i % 7}".encode())
            for i in range(MESSAGES // 2, MESSAGES)
        ]
        await asyncio.gather(*after)
    finally:
        await producer.stop()

    received = await consume_all(infra.kafka_bootstrap_servers, topic, MESSAGES)

    values = sorted(int(value) for _, value in received)
    assert values == list(range(MESSAGES)), "lost or duplicated messages"
    per_partition: dict[int, list[int]] = defaultdict(list)
    for partition, value in received:
        per_partition[partition].append(int(value))
    for partition, sequence in per_partition.items():
        assert sequence == sorted(sequence), f"partition {partition} out of order"
