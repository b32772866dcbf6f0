"""The offsets a consumer has handled, committed to Kafka together rather than batch by batch.

An offset is committed only after the transactions of every record before it: that is
all the inbox needs. Committing after each batch cost an OffsetCommit request (a write to
the broker's `__consumer_offsets` log) per batch, and at a modest rate a batch is one
record: as many requests as the messages themselves. So handled offsets wait up to
`interval` and go in one request. A crash hands that window's records over again, and
the inbox skips them; a revocation, and a consumer stopping, commit what waits first.
"""

import logging
import time
from collections.abc import Mapping, Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError

from shopflow_kit.failpoints import failpoint
from shopflow_kit.messaging.consumer_metrics import ConsumerMetrics

logger = logging.getLogger(__name__)


class PendingOffsets:
    """Offsets handled and not committed yet, per partition; `commit` sends them together."""

    def __init__(
        self, consumer: AIOKafkaConsumer, metrics: ConsumerMetrics, *, interval: float
    ) -> None:
        self._consumer = consumer
        self._metrics = metrics
        self._interval = interval
        self._offsets: dict[TopicPartition, int] = {}
        self._due_at: float | None = None  # `interval` after the oldest offset waiting

    def handled(self, batch: Mapping[TopicPartition, Sequence[ConsumerRecord]]) -> None:
        """Every record of `batch` has committed its transaction."""
        for partition, records in batch.items():
            self._offsets[partition] = records[-1].offset + 1
        if self._due_at is None:
            self._due_at = time.monotonic() + self._interval

    def seconds_to_due(self, at_most: float) -> float:
        """How long a fetch may wait before what waits is due (`at_most` if nothing does)."""
        if self._due_at is None:
            return at_most
        return min(at_most, max(0.0, self._due_at - time.monotonic()))

    def due(self) -> bool:
        return self._due_at is not None and time.monotonic() >= self._due_at

    async def commit(self) -> None:
        """Commit what waits, in one request. Raises a `KafkaError` if Kafka is away (the
        offsets are dropped: their records come again, and the inbox skips them)."""
        offsets, self._offsets, self._due_at = self._offsets, {}, None
        if not offsets:
            return
        failpoint("consumer.before-offset-commit")
        try:
            await self._consumer.commit(offsets)
        except CommitFailedError as error:
            # The partitions may be someone else's now: they redeliver, the inbox skips.
            logger.warning("offsets %s not committed: %s", offsets, error)
            return
        for partition, offset in offsets.items():
            end = self._consumer.last_stable_offset(partition)
            if end is not None:
                lag = self._metrics.lag.labels(partition.topic, str(partition.partition))
                lag.set(max(0, end - offset))
