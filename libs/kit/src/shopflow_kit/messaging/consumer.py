"""`MessageConsumer`: a service's Kafka consumer, whose handlers take effect once per message.

Records are taken in batches of what has arrived, each partition's in order, the
partitions side by side. Each record is handled in one database transaction that also
records its id in the inbox (see consumer_dispatch); only after every record of a
batch has committed are its offsets committed, together with those of the batches before
it, in one request at most every quarter of a second (consumer_offsets) rather than one
per batch. A crash in between hands those records over again, and the inbox turns each
second delivery into a no-op. A record that cannot be
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
from contextlib import AsyncExitStack, suppress

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry

from shopflow_kit.db import Database
from shopflow_kit.messaging.consumer_dispatch import Dispatcher
from shopflow_kit.messaging.consumer_handover import Handover
from shopflow_kit.messaging.consumer_metrics import ConsumerMetrics
from shopflow_kit.messaging.consumer_offsets import PendingOffsets
from shopflow_kit.messaging.consumer_retry import ConsumerRetryPolicy
from shopflow_kit.messaging.dead_letters import MissingTopicError, dead_letter_topic
from shopflow_kit.messaging.handlers import MessageHandlers

logger = logging.getLogger(__name__)

TOPICS_GRACE_SECONDS = 30.0
MAX_BATCH = 100  # records taken at once: a rebalance waits for at most this many
FETCH_WAIT_MS = 1_000  # how long one fetch waits for records before asking again
OFFSET_COMMIT_INTERVAL = 0.25  # seconds handled offsets wait to be committed together
STOP_COMMIT_SECONDS = 2.0  # how long a stopping consumer tries to commit what waits
# How long the group waits for a live member to rejoin in a rebalance: its revocation
# finishes the batch in flight first. aiokafka ties it to the session timeout; it stays
# at the 10 s it had before that became a setting, so a short session (a faster hand-over
# from a dead member) does not also evict a live one that is finishing a batch.
REBALANCE_TIMEOUT_MS = 10_000


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
        session_timeout: float = 10.0,
        heartbeat_interval: float = 3.0,
    ) -> None:
        """`records_per_transaction` above 1: up to so many records of a partition share a
        transaction (see consumer_dispatch), for handlers whose every effect is in it.
        `session_timeout`, `heartbeat_interval`: seconds, the group's failure detection
        (`MessagingSettings.kafka_session_timeout_seconds`): a consumer that stops
        heartbeating (killed, frozen) keeps its partitions, unread, until its session ends."""
        if not 0 < 3 * heartbeat_interval <= session_timeout:
            raise ValueError(
                f"a heartbeat every {heartbeat_interval} s is more than a third of a"
                f" {session_timeout} s session"
            )
        self.group_id = group_id
        self.session_timeout_ms = round(session_timeout * 1000)
        self.heartbeat_interval_ms = round(heartbeat_interval * 1000)
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
        consumer = self._consumer()
        dead_letters = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap_servers, acks="all", enable_idempotence=True
        )
        async with AsyncExitStack() as clients:
            # Both are stopped on leaving, started or not: after a failed start too, and a
            # client never started still holds its connections' state (aiokafka warns).
            for client in (dead_letters, consumer):
                clients.push_async_callback(client.stop)
            for client in (consumer, dead_letters):
                await client.start()
            await self._require_topics(consumer)
            offsets = PendingOffsets(consumer, self._metrics, interval=OFFSET_COMMIT_INTERVAL)
            handover = Handover(self._metrics, offsets)
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
            try:
                while True:
                    await self._consume_next(consumer, dispatcher, handover, offsets)
            finally:
                # Stopping: hand over what was handled, so its next owner need not skip it.
                async with handover.in_flight:
                    with suppress(KafkaError, TimeoutError):
                        async with asyncio.timeout(STOP_COMMIT_SECONDS):
                            await offsets.commit()

    def _consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap_servers,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # Never see records of a producer transaction that was aborted.
            isolation_level="read_committed",
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=self.heartbeat_interval_ms,
            rebalance_timeout_ms=REBALANCE_TIMEOUT_MS,
        )

    async def _consume_next(
        self,
        consumer: AIOKafkaConsumer,
        dispatcher: Dispatcher,
        handover: Handover,
        offsets: PendingOffsets,
    ) -> None:
        # Only ever records of the current assignment, at most MAX_BATCH of them; while
        # offsets wait, no longer than until they are due.
        wait_ms = round(1000 * offsets.seconds_to_due(FETCH_WAIT_MS / 1000))
        batch = await consumer.getmany(timeout_ms=wait_ms, max_records=MAX_BATCH)
        revocations = handover.revocations
        async with handover.in_flight:
            if batch and handover.revocations == revocations:  # else: revoked meanwhile,
                # their next owner reads them from the committed offset.
                await self._dispatch(dispatcher, batch)
                offsets.handled(batch)
            if offsets.due():
                await offsets.commit()

    @staticmethod
    async def _dispatch(
        dispatcher: Dispatcher, batch: dict[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        # A partition's records one after the other, the partitions side by side; if one
        # raises, the others are cancelled and none of the batch's offsets is committed
        # (the inbox skips what comes again).
        try:
            async with asyncio.TaskGroup() as partitions:
                for records in batch.values():
                    partitions.create_task(dispatcher.dispatch_in_order(records))
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None  # e.g. a KafkaError: `run` reconnects

    async def _require_topics(self, consumer: AIOKafkaConsumer) -> None:
        """Wait a little for topics being created alongside us (a fresh broker, a test, a
        Kubernetes job), then fail: with auto-creation off, a missing topic would stall us."""
        needed = {*self.topics, *(dead_letter_topic(topic) for topic in self.topics)}
        deadline = asyncio.get_running_loop().time() + TOPICS_GRACE_SECONDS
        while missing := needed - await consumer.topics():
            if asyncio.get_running_loop().time() > deadline:
                raise MissingTopicError(f"{self.group_id} needs topics {sorted(missing)}")
            await asyncio.sleep(0.2)  # metadata has no change notification to await
