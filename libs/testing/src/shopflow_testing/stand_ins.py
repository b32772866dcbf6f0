"""Stand-ins for the other side of the bus: the orchestrator a service answers to.

A service's integration tests send it commands as the order saga would and read its
replies, on topics of their own (`bus_topics`), with the real broker in between:

    async with OrchestratorStandIn.connected(bootstrap, bus_topics, "inventory", EVENTS) as saga:
        await saga.send(ReserveStock(...))
        [reply] = await saga.replies(order_id)
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shopflow_contracts.topics import Topics
from shopflow_kit.messaging.envelope import Envelope, Message, MessageTypes


class OrchestratorStandIn:
    """Sends commands keyed and correlated by their order id, and reads the replies."""

    def __init__(
        self,
        producer: AIOKafkaProducer,
        replies: AIOKafkaConsumer,
        commands_topic: str,
        events: Iterable[type[Message]],
    ) -> None:
        self._producer = producer
        self._replies = replies
        self._commands_topic = commands_topic
        self._events = MessageTypes(events)
        self.replied: defaultdict[str, list[Envelope]] = defaultdict(list)  # by correlation id

    @classmethod
    @asynccontextmanager
    async def connected(
        cls,
        bootstrap_servers: str,
        topics: Topics,
        service: str,
        events: Iterable[type[Message]],
    ) -> AsyncIterator[OrchestratorStandIn]:
        """The stand-in on `service`'s commands and events topics, its clients open meanwhile."""
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
        # No group: it reads every partition from the start and commits nothing.
        replies = AIOKafkaConsumer(
            topics.events(service),
            bootstrap_servers=bootstrap_servers,
            auto_offset_reset="earliest",
        )
        async with producer, replies:
            yield cls(producer, replies, topics.commands(service), events)

    async def send(self, command: Message) -> Envelope:
        """A new command (a new message id, as a resend has); its envelope."""
        order_id = command.model_dump(mode="json")["order_id"]  # every command carries one
        envelope = Envelope.wrap(command, correlation_id=str(order_id))
        await self.deliver(envelope)
        return envelope

    async def deliver(self, envelope: Envelope) -> None:
        """Put `envelope` on the commands topic; again, it is a redelivery."""
        key = envelope.correlation_id.encode()
        await self._producer.send_and_wait(self._commands_topic, envelope.to_bytes(), key=key)

    async def replies(self, order_id: object, count: int = 1) -> list[Message]:
        """The first `count` replies about the order, as messages, waiting for them."""
        replied = self.replied[str(order_id)]
        async with asyncio.timeout(30):
            while len(replied) < count:
                envelope = Envelope.from_bytes((await self._replies.getone()).value)
                self.replied[envelope.correlation_id].append(envelope)
        return [self._events.parse(envelope) for envelope in replied[:count]]
