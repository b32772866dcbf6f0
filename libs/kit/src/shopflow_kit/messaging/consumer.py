"""`MessageConsumer`: a service's Kafka consumer, whose handlers take effect once per message.

Records are taken in batches of what has arrived, each partition's in order, the
partitions side by side. Each record is handled in one database transaction that also
records its id in the inbox (see consumer_dispatch); only after every record of the
batch has committed are the batch's offsets committed, in one request to the broker
rather than one per record. A crash or a rebalance in between hands those records over
again, and the inbox turns each second delivery into a no-op. A record that cannot be
handled goes to `<topic>.dlq`, and its partition moves on.

    metrics = ServiceMetrics()
    consumer = MessageConsumer(
        database,
        settings.kafka_bootstrap_servers,
        group_id=group,
        topics=[commands_topic],
        handlers=MessageHandlers().add(ReserveStock, reserve).add(ReleaseStock, release),
        registry=metrics.registry,
    )
    app = create_app(settings, ..., metrics=metrics, background={"consumer": consumer.run})

(`wiring.messaging_jobs` builds it, with the outbox relay, in one call.)
"""

import asyncio
import logging
from collections.abc import Iterable
from contextlib import AsyncExitStack

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from prometheus_client import CollectorRegistry

from shopflow_kit.db import Database
from shopflow_kit.failpoints import failpoint
from shopflow_kit.messaging.consumer_dispatch import Dispatcher
from shopflow_kit.messaging.consumer_handover import Handover
from shopflow_kit.messaging.consumer_metrics import ConsumerMetrics
from shopflow_kit.messaging.consumer_retry import ConsumerRetryPolicy
from shopflow_kit.messaging.dead_letters import MissingTopicError, dead_letter_topic
from shopflow_kit.messaging.handlers import MessageHandlers

logger = logging.getLogger(__name__)

TOPICS_GRACE_SECONDS = 30.0
MAX_BATCH = 100  # records taken at once: a rebalance waits for at most this many
FETCH_WAIT_MS = 1_000  # how long one fetch waits for records before asking again


class MessageConsumer:
    """Consumes `topics` as `group_id`, dispatching each message to its type's handler."""

    def __init__(
        self,
        database: Database,
        bootstrap_servers: str,
        *,
        group_id: str,
        topics: Iterable[str],
        handlers: MessageHandlers,
        retry: ConsumerRetryPolicy | None = None,
        registry: CollectorRegistry | None = None,
        records_per_transaction: int = 1,
    ) -> None:
        """`records_per_transaction` above 1: up to so many records of a partition share a
        transaction (see consumer_dispatch), for handlers whose every effect is in it."""
        self.group_id = group_id
        self._records_per_transaction = records_per_transaction
        self.topics = tuple(topics)
        self._database = database
        self._bootstrap_servers = bootstrap_servers
        self._handlers = handlers
        self._retry = retry or ConsumerRetryPolicy()
        self._metrics = ConsumerMetrics(registry or CollectorRegistry())

    async def run(self) -> None:
        """Consume until cancelled: a `create_app(background=...)` job.

        Kafka being away (at start, or longer than its clients wait) ends the session;
        a new one starts after a backoff, from the committed offsets.
        """
        lost_sessions = 0
        while True:
            try:
                await self._session()
            except KafkaError as error:
                lost_sessions += 1
                delay = self._retry.backoff(lost_sessions)
                logger.warning("Kafka unavailable (%r): reconnecting in %.1f s", error, delay)
                await asyncio.sleep(delay)

    async def _session(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap_servers,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # Never see records of a producer transaction that was aborted.
            isolation_level="read_committed",
        )
        dead_letters = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap_servers, acks="all", enable_idempotence=True
        )
        async with AsyncExitStack() as clients:
            for client in (consumer, dead_letters):
                clients.push_async_callback(client.stop)  # closes it after a failed start too
                await client.start()
            await self._require_topics(consumer)
            handover = Handover(self._metrics)
            consumer.subscribe(self.topics, listener=handover)
            dispatcher = Dispatcher(
                self._database,
                self.group_id,
                self._handlers,
                self._retry,
                dead_letters,
                self._metrics,
                records_per_transaction=self._records_per_transaction,
            )
            while True:
                await self._consume_next(consumer, dispatcher, handover)

    async def _consume_next(
        self, consumer: AIOKafkaConsumer, dispatcher: Dispatcher, handover: Handover
    ) -> None:
        # Only ever records of the current assignment, at most MAX_BATCH of them.
        batch = await consumer.getmany(timeout_ms=FETCH_WAIT_MS, max_records=MAX_BATCH)
        if not batch:
            return
        revocations = handover.revocations
        async with handover.in_flight:
            if handover.revocations != revocations:
                return  # revoked meanwhile: their next owner reads them from the committed offset
            # A partition's records one after the other, the partitions side by side; if one
            # raises, the others are cancelled and nothing is committed (the inbox dedupes).
            try:
                async with asyncio.TaskGroup() as partitions:
                    for records in batch.values():
                        partitions.create_task(dispatcher.dispatch_in_order(records))
            except ExceptionGroup as failed:
                raise failed.exceptions[0] from None  # e.g. a KafkaError: `run` reconnects
            failpoint("consumer.before-offset-commit")
            await self._commit(consumer, batch)

    async def _commit(
        self, consumer: AIOKafkaConsumer, batch: dict[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        offsets = {partition: records[-1].offset + 1 for partition, records in batch.items()}
        try:
            await consumer.commit(offsets)
        except CommitFailedError as error:
            # The partitions may be someone else's now: they redeliver, the inbox skips.
            logger.warning("offsets %s not committed: %s", offsets, error)
            return
        for partition, offset in offsets.items():
            end = consumer.last_stable_offset(partition)
            if end is not None:
                lag = self._metrics.lag.labels(partition.topic, str(partition.partition))
                lag.set(max(0, end - offset))

    async def _require_topics(self, consumer: AIOKafkaConsumer) -> None:
        """Wait a little for topics being created alongside us (a fresh broker, a test, a
        Kubernetes job), then fail: with auto-creation off, a missing topic would stall us."""
        needed = {*self.topics, *(dead_letter_topic(topic) for topic in self.topics)}
        deadline = asyncio.get_running_loop().time() + TOPICS_GRACE_SECONDS
        while missing := needed - await consumer.topics():
            if asyncio.get_running_loop().time() > deadline:
                raise MissingTopicError(f"{self.group_id} needs topics {sorted(missing)}")
            await asyncio.sleep(0.2)  # metadata has no change notification to await
