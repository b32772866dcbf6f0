"""OutboxRelay: publishes a service's outbox to Kafka, in order per key, at least once.

A service runs it as a background job of its app:

    metrics = ServiceMetrics()
    relay = OutboxRelay(database, settings.kafka_bootstrap_servers, registry=metrics.registry)
    app = create_app(settings, ..., metrics=metrics, background={"outbox-relay": relay.run})

One batch is one transaction: claim rows (key by key, see `relay_batch`), send them, await
every acknowledgement, mark them published, commit. Whatever stops a batch midway (a
crash, a cancellation, Kafka or PostgreSQL going away) rolls it back, and its rows wait
for the next attempt; what was sent before the rollback is sent again, and consumers'
inboxes drop the copy. Several relays may share one outbox: a key is never in two batches.

A row Kafka refuses alone does not fail its batch (ADR 0020): one that can never be
published as it is (too large, headers that are not text) is set aside at once; one whose
topic is missing is retried, with its key's later rows waiting behind it, and set aside
after `missing_topic_patience`. Set aside, it stays in the table with its error, counted
and logged, for an operator to fix and put back (`make outbox`); the rows behind it go on.
"""

import asyncio
import logging
import time
from contextlib import suppress
from datetime import timedelta

from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry
from sqlalchemy.exc import SQLAlchemyError

from shopflow_kit.db import Database
from shopflow_kit.failpoints import failpoint
from shopflow_kit.messaging.relay_batch import (
    NotedFailures,
    claim_batch,
    delete_published,
    mark_published,
    note_failures,
    unpublished_backlog,
)
from shopflow_kit.messaging.relay_listener import CommitListener
from shopflow_kit.messaging.relay_metrics import RelayMetrics
from shopflow_kit.messaging.relay_outage import Outage
from shopflow_kit.messaging.relay_publisher import KafkaPublisher

RELAY_FAILURES = (KafkaError, TimeoutError, OSError, SQLAlchemyError)
"""What a later attempt may not meet again: Kafka or PostgreSQL unreachable or refusing."""

HOUSEKEEPING_INTERVAL = 1.0  # at most one pending count and clean-up a second
CLEANUP_BATCH = 1_000  # rows deleted per clean-up: short locks, little WAL at a time
RETENTION = timedelta(days=1)  # how long published rows stay, to be read, before being deleted

logger = logging.getLogger(__name__)


class OutboxRelay:
    """Publishes the outbox of `database` to the Kafka cluster at `bootstrap_servers`."""

    def __init__(
        self,
        database: Database,
        bootstrap_servers: str,
        *,
        batch_size: int = 1_000,
        poll_interval: float = 1.0,
        publish_timeout: float = 10.0,
        missing_topic_patience: timedelta = timedelta(minutes=2),
        max_backoff: float = 30.0,
        registry: CollectorRegistry | None = None,
        name: str = "outbox-relay",
    ) -> None:
        """`batch_size`: rows claimed, sent and marked in one transaction (a claim, a produce
        request per partition and an UPDATE whatever the count: a backlog drains in big ones);
        `poll_interval`: seconds between looks when no commit notification comes;
        `publish_timeout`: seconds to wait for a batch's acknowledgements before rolling it
        back; `missing_topic_patience`: how long a row whose topic does not exist is retried
        before it is set aside (a topic being created, a broker's metadata behind);
        `max_backoff`: the cap, in seconds, of its wait between attempts while Kafka or
        PostgreSQL is away (`MessagingSettings.outbox_relay_max_backoff_seconds`)."""
        self.name = name
        self.metrics = RelayMetrics(registry or CollectorRegistry())
        self._database = database
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._missing_topic_patience = missing_topic_patience
        self._publisher = KafkaPublisher(
            bootstrap_servers, client_id=name, ack_timeout=publish_timeout
        )
        self._commits = CommitListener(database.engine.url, name=name)
        self._outage = Outage(name, max_backoff=max_backoff)
        self._next_housekeeping = 0.0

    async def run(self) -> None:
        """Publish until cancelled, waiting out Kafka and PostgreSQL outages by itself."""
        try:
            while True:
                await self._count_and_clean()
                try:
                    published = await self.publish_batch()
                except RELAY_FAILURES as error:
                    self.metrics.publish_failures.inc()
                    await asyncio.sleep(self._outage.attempt_failed(error))
                    continue
                self._outage.attempt_succeeded()
                if published < self._batch_size:  # a full batch: more may be waiting
                    await self._commits.wait(self._poll_interval)
        finally:
            await self._commits.close()
            await self._publisher.close()

    def unavailable_dependency(self) -> str | None:
        """What the relay cannot publish without right now ("kafka", "database"), if any."""
        return self._outage.dependency

    async def publish_batch(self) -> int:
        """Publish the next batch in one transaction; return how many messages it held
        (published, set aside or held back: a full batch means more may be waiting)."""
        await self._publisher.ready()
        async with self._database.transaction() as session:
            batch = await claim_batch(session, self._batch_size)
            if not batch:
                return 0
            published, failures = await self._publisher.publish(batch)
            failpoint("relay.after-publish")
            lags = await mark_published(session, published) if published else []
            noted = await note_failures(session, failures, patience=self._missing_topic_patience)
        self.metrics.record_published(lags)
        self._report(noted)
        # Rows held back behind a missing topic are no progress: wait before trying them again.
        return len(published) + len(noted.set_aside)

    def _report(self, noted: NotedFailures) -> None:
        for failure in noted.set_aside:
            message = failure.message
            logger.error(
                "%s set aside outbox row %s (%s for %s, key %s): %s; the key's later rows go on"
                " without it; make outbox lists it",
                self.name,
                message.id,
                message.type,
                message.topic,
                message.key,
                failure.error,
            )
            self.metrics.record_set_aside("permanent" if failure.permanent else "missing_topic")
        for failure in noted.first_held_back:
            message = failure.message
            logger.warning(
                "%s holds back outbox row %s (%s, key %s) and its key's later rows: %s; set aside"
                " if it lasts %s",
                self.name,
                message.id,
                message.type,
                message.key,
                failure.error,
                self._missing_topic_patience,
            )

    async def _count_and_clean(self) -> None:
        """Refresh the backlog gauges and delete rows past retention, at most once a second."""
        now = time.monotonic()
        if now < self._next_housekeeping:
            return
        self._next_housekeeping = now + HOUSEKEEPING_INTERVAL
        # Quietly: an unreachable database is reported by the batch's own attempt.
        with suppress(*RELAY_FAILURES):
            async with self._database.transaction() as session:
                self.metrics.record_backlog(await unpublished_backlog(session))
                await delete_published(session, older_than=RETENTION, limit=CLEANUP_BATCH)
