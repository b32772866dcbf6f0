"""A service on the bus in one call, and the one way to put a message on it.

    jobs = messaging_jobs(database, settings, group_id=..., handlers=handlers,
                          consumes=[commands_topic], registry=metrics.registry)
    app = create_app(settings, ..., background=jobs)
    report_publishing(app, jobs.relay)         # Kafka named in /readyz while unreachable

Handlers answer with `reply(session, topic, message, to=envelope)`; other code publishes
with `publish(...)`. Both only write to the outbox, in the caller's transaction.
"""

from collections.abc import Iterable, Mapping

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_kit.background import BackgroundJob
from shopflow_kit.db import Database
from shopflow_kit.dependencies import KAFKA
from shopflow_kit.messaging.consumer import MessageConsumer
from shopflow_kit.messaging.envelope import Envelope, Message
from shopflow_kit.messaging.handlers import MessageHandlers
from shopflow_kit.messaging.outbox import add_to_outbox
from shopflow_kit.messaging.relay import OutboxRelay
from shopflow_kit.settings import MessagingSettings


async def publish(
    session: AsyncSession,
    topic: str,
    message: Message,
    *,
    correlation_id: str,
    cause: Envelope | None = None,
) -> Envelope:
    """Put `message` in the outbox, keyed by its correlation id (the order id)."""
    envelope = Envelope.wrap(message, correlation_id=correlation_id, cause=cause)
    await add_to_outbox(session, topic=topic, key=correlation_id, envelope=envelope)
    return envelope


async def reply(session: AsyncSession, topic: str, message: Message, *, to: Envelope) -> Envelope:
    """Answer the message in `to`: same correlation id, caused by it."""
    return await publish(session, topic, message, correlation_id=to.correlation_id, cause=to)


class BusJobs(dict[str, BackgroundJob]):
    """A service's messaging jobs by name, and its outbox relay, if it has one."""

    def __init__(self, jobs: Mapping[str, BackgroundJob], relay: OutboxRelay | None) -> None:
        super().__init__(jobs)
        self.relay = relay


def report_publishing(app: FastAPI, relay: OutboxRelay | None) -> None:
    """Name Kafka in `/readyz` while the relay cannot publish, without failing it, and let
    routes that need the bus refuse work meanwhile (`require_publishing`)."""
    if relay is None:
        return

    async def publishing() -> None:
        if (dependency := relay.unavailable_dependency()) is not None:
            raise ConnectionError(f"the outbox relay cannot reach {dependency}")

    app.state.outbox_relay = relay
    app.state.readiness.add(KAFKA, publishing, required=False)


def messaging_jobs(
    database: Database,
    settings: MessagingSettings,
    *,
    group_id: str,
    registry: CollectorRegistry,
    handlers: MessageHandlers | None = None,
    consumes: Iterable[str] = (),
    publishes: bool = True,
    records_per_transaction: int = 1,
) -> BusJobs:
    """The background jobs of a service on the bus: its outbox relay (if it publishes)
    and its consumer (if it handles messages, as the consumer group `group_id`), each a
    readiness check under its name. `records_per_transaction`: see `MessageConsumer`."""
    jobs: dict[str, BackgroundJob] = {}
    relay = None
    if publishes:
        relay = OutboxRelay(
            database,
            settings.kafka_bootstrap_servers,
            max_backoff=settings.outbox_relay_max_backoff_seconds,
            registry=registry,
        )
        jobs["outbox-relay"] = relay.run
    if handlers:
        consumer = MessageConsumer(
            database,
            settings.kafka_bootstrap_servers,
            group_id=group_id,
            topics=consumes,
            handlers=handlers,
            registry=registry,
            records_per_transaction=records_per_transaction,
            session_timeout=settings.kafka_session_timeout_seconds,
            heartbeat_interval=settings.kafka_heartbeat_interval_seconds,
        )
        jobs["consumer"] = consumer.run
    return BusJobs(jobs, relay)
