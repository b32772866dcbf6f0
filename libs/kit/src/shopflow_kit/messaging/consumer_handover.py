"""Handing partitions over in a rebalance without losing or reordering work.

When the group rebalances, a consumer's partitions are revoked before anyone gets them
again. The revocation waits for the batch in flight, then commits every offset handled
(database first, then offset), so its partitions move with all that is done; records
fetched before the rebalance are left to the partition's next owner, which reads them
again from the committed offset.
"""

import asyncio
import logging

from aiokafka import TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError

from shopflow_kit.messaging.consumer_metrics import ConsumerMetrics
from shopflow_kit.messaging.consumer_offsets import PendingOffsets

logger = logging.getLogger(__name__)


class Handover(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka ships no types
    """The consumer holds `in_flight` while handling a record; a revocation waits for it."""

    def __init__(self, metrics: ConsumerMetrics, offsets: PendingOffsets) -> None:
        self.in_flight = asyncio.Lock()
        self.revocations = 0  # a record taken before the latest revocation is not ours to handle
        self._metrics = metrics
        self._offsets = offsets

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self.in_flight:
            self.revocations += 1
            try:
                await self._offsets.commit()
            except KafkaError as error:  # their records come again; the inbox skips them
                logger.warning("offsets not committed before the revocation: %r", error)
        self._metrics.forget_lag(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        logger.info("assigned partitions %s", sorted(f"{p.topic}[{p.partition}]" for p in assigned))
