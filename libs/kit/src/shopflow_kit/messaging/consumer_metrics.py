"""A consumer's Prometheus instruments, registered on its service's registry."""

from collections.abc import Iterable

from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ConsumerMetrics:
    """What a consumer did with each message, how long it took, and how far behind it is."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.consumed = Counter(
            "messages_consumed_total",
            "Messages consumed, by outcome: handled, duplicate (skipped) or dead_lettered.",
            ["topic", "type", "outcome"],
            registry=registry,
        )
        self.handling_seconds = Histogram(
            "message_handling_seconds",
            "Time from taking a message to its outcome, retries included.",
            ["topic", "type"],
            registry=registry,
        )
        self.retries = Counter(
            "message_retries_total",
            "Attempts to handle a message again after a transient failure.",
            ["topic", "type"],
            registry=registry,
        )
        self.lag = Gauge(
            "message_consumer_lag",
            "Messages in a partition after the last one this consumer committed.",
            ["topic", "partition"],
            registry=registry,
        )

    def forget_lag(self, partitions: Iterable[TopicPartition]) -> None:
        """Drop the lag of partitions handed to another consumer: theirs to report now."""
        for partition in partitions:
            self.lag.remove(partition.topic, str(partition.partition))
