"""The saga's world, real: inventory and payment played by the test on real Kafka, and
what the order service recorded read from its real PostgreSQL."""

import asyncio
import uuid
from collections import defaultdict

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import select

from shopflow_contracts import inventory
from shopflow_contracts.topics import Topics
from shopflow_kit.messaging import Envelope, Message
from shopflow_order.models import Base, Order, OrderStatus

WAIT_SECONDS = 30  # for anything to arrive: generous, as nothing is asserted on time
OUTBOX = Base.metadata.tables["outbox"]
INBOX = Base.metadata.tables["processed_messages"]
INVENTORY_EVENTS = {event.TYPE for event in inventory.EVENTS}


class BusStandIn:
    """Inventory and payment over Kafka: reads what the order service sends (commands and
    its events), and answers as they would."""

    def __init__(
        self, topics: Topics, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer
    ) -> None:
        self.topics = topics
        self._consumer = consumer  # of the commands topics and the order events topic
        self._producer = producer
        self._unread: defaultdict[tuple[str, str], list[Envelope]] = defaultdict(list)

    async def next(self, order_id: str, message_type: type[Message]) -> Envelope:
        """The next `message_type` sent for the order, waiting for it if need be."""
        unread = self._unread[(str(order_id), message_type.TYPE)]
        async with asyncio.timeout(WAIT_SECONDS):
            while not unread:
                batches = await self._consumer.getmany(timeout_ms=100)
                for record in (r for records in batches.values() for r in records):
                    envelope = Envelope.from_bytes(record.value)
                    self._unread[(envelope.correlation_id, envelope.type)].append(envelope)
        return unread.pop(0)

    async def answer(self, command: Envelope, reply: Message) -> Envelope:
        """Reply to `command` as its service would: same correlation id, caused by it."""
        envelope = Envelope.wrap(reply, correlation_id=command.correlation_id, cause=command)
        await self.deliver(envelope)
        return envelope

    async def deliver(self, envelope: Envelope) -> None:
        """Put `envelope` on its events topic, keyed by the order (again, for a redelivery)."""
        from_inventory = envelope.type in INVENTORY_EVENTS
        topic = self.topics.inventory_events if from_inventory else self.topics.payment_events
        await self._producer.send_and_wait(
            topic, envelope.to_bytes(), key=envelope.correlation_id.encode()
        )


@pytest.fixture
async def bus(infra, bus_topics):
    servers = infra.kafka_bootstrap_servers
    outgoing = (bus_topics.inventory_commands, bus_topics.payment_commands, bus_topics.order_events)
    consumer = AIOKafkaConsumer(*outgoing, bootstrap_servers=servers, auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=servers, acks="all")
    async with consumer, producer:
        yield BusStandIn(bus_topics, consumer, producer)


async def _poll(database, query, done):
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            async with database.transaction() as session:
                found = (await session.execute(query)).one_or_none()
            if done(found):
                return found
            await asyncio.sleep(0.05)


@pytest.fixture
def settled(database):
    """`await settled(order_id)`: the order's (status, cancellation_reason) once it is no
    longer PENDING."""

    async def wait(order_id):
        query = select(Order.status, Order.cancellation_reason).where(
            Order.id == uuid.UUID(order_id)
        )
        return tuple(await _poll(database, query, lambda row: row.status != OrderStatus.PENDING))

    return wait


@pytest.fixture
def handled(database):
    """`await handled(envelope)`: returns once the order service has handled the message."""

    async def wait(envelope):
        query = select(INBOX.c.message_id).where(INBOX.c.message_id == envelope.message_id)
        await _poll(database, query, lambda row: row is not None)

    return wait


@pytest.fixture
def sent(database):
    """`await sent(order_id)`: the types of every message the service wrote for the order."""

    async def read(order_id):
        query = select(OUTBOX.c.type).where(OUTBOX.c.key == str(order_id)).order_by(OUTBOX.c.seq)
        async with database.transaction() as session:
            return list(await session.scalars(query))

    return read
