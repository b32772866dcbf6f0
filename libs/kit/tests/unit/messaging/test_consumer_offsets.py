"""Handled offsets wait to be committed together, and are committed once each (no broker)."""

import pytest
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError
from prometheus_client import CollectorRegistry

from shopflow_kit.messaging.consumer_metrics import ConsumerMetrics
from shopflow_kit.messaging.consumer_offsets import PendingOffsets

pytestmark = pytest.mark.unit

P0, P1 = TopicPartition("t", 0), TopicPartition("t", 1)


class Consumer:
    """What `PendingOffsets` asks of an AIOKafkaConsumer: commits, noted, or refused."""

    def __init__(self, refuse: bool = False) -> None:
        self.commits: list[dict[TopicPartition, int]] = []
        self.refuse = refuse

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.refuse:
            raise CommitFailedError("rebalanced")
        self.commits.append(offsets)

    def last_stable_offset(self, partition: TopicPartition) -> int:
        return 10


def records(partition: TopicPartition, *offsets: int) -> list[ConsumerRecord]:
    return [
        ConsumerRecord(partition.topic, partition.partition, o, 0, 0, b"k", b"v", None, 1, 1, ())
        for o in offsets
    ]


def pending(consumer: Consumer, interval: float) -> PendingOffsets:
    return PendingOffsets(consumer, ConsumerMetrics(CollectorRegistry()), interval=interval)


async def test_batches_handled_within_the_interval_are_committed_in_one_request():
    consumer = Consumer()
    offsets = pending(consumer, interval=60)
    offsets.handled({P0: records(P0, 3, 4)})
    offsets.handled({P0: records(P0, 5), P1: records(P1, 0)})

    assert not offsets.due()
    assert offsets.seconds_to_due(at_most=1.0) == 1.0  # a fetch waits no longer than usual
    await offsets.commit()
    await offsets.commit()  # nothing waits: no request

    assert consumer.commits == [{P0: 6, P1: 1}]


async def test_offsets_are_due_once_the_oldest_has_waited_the_interval():
    offsets = pending(Consumer(), interval=0)
    assert not offsets.due()  # nothing waits
    assert offsets.seconds_to_due(at_most=1.0) == 1.0

    offsets.handled({P0: records(P0, 0)})

    assert offsets.due()
    assert offsets.seconds_to_due(at_most=1.0) == 0.0


async def test_offsets_a_rebalance_refused_are_dropped_for_the_inbox_to_skip():
    consumer = Consumer(refuse=True)
    offsets = pending(consumer, interval=0)
    offsets.handled({P0: records(P0, 0)})

    await offsets.commit()
    consumer.refuse = False
    await offsets.commit()

    assert consumer.commits == []
    assert not offsets.due()
