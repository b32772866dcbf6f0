"""Kafka fixtures: topics no other test uses, and a whole bus of ShopFlow topics of a test's own.

- `kafka_topic`: `await kafka_topic(partitions=3)` creates a topic for this test only
  (`dead_letters=True`: with its `<topic>.dlq`, which a consumer of it needs);
- `bus_topics`: a complete set of ShopFlow topics (commands, events, dead letters) under
  a prefix of the test's own, deleted afterwards (`topics_of_our_own`: the same for a
  module fixture);
- `on_test_bus`: the settings fields that put a service on those topics,
  `OrderSettings(database_url=..., **on_test_bus)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shopflow_contracts.topics import Topics
from shopflow_kit.messaging.dead_letters import dead_letter_topic
from shopflow_kit.messaging.topic_admin import created_topics
from shopflow_testing.infra import Infra, unique_name

BUS_PARTITIONS = 3  # as the stack's topics: per-key order is what the tests rely on

CreateTopic = Callable[..., Coroutine[Any, Any, str]]


@pytest.fixture
async def kafka_topic(infra: Infra, request: pytest.FixtureRequest) -> AsyncIterator[CreateTopic]:
    """A factory: `await kafka_topic(partitions=3)` creates a topic no other test uses
    (`name=` one the test named itself, e.g. a topic its rows waited for; `configs=` topic
    settings such as `{"max.message.bytes": "3000"}`)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap_servers)
    await admin.start()
    created: list[str] = []

    async def create(
        partitions: int = 1,
        *,
        dead_letters: bool = False,
        name: str | None = None,
        configs: dict[str, str] | None = None,
    ) -> str:
        name = name or unique_name(request, "test.").replace("_", "-")
        names = [name, dead_letter_topic(name)] if dead_letters else [name]
        answer = await admin.create_topics(
            [NewTopic(topic, partitions, 1, topic_configs=configs or {}) for topic in names]
        )
        created_topics(answer.topic_errors)  # the broker's refusal, raised here, not a wait later
        created.extend(names)
        return name

    try:
        yield create
    finally:
        if created:
            await admin.delete_topics(created)
        await admin.close()


@pytest.fixture
async def bus_topics(infra: Infra, request: pytest.FixtureRequest) -> AsyncIterator[Topics]:
    async with topics_of_our_own(infra, request) as topics:
        yield topics


@asynccontextmanager
async def topics_of_our_own(infra: Infra, request: pytest.FixtureRequest) -> AsyncIterator[Topics]:
    """A bus of ShopFlow topics under a prefix of the requester's own (`bus_topics` for a
    test; a module fixture for its module), deleted afterwards."""
    topics = Topics(prefix=unique_name(request, "t."))
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap_servers)
    await admin.start()
    try:
        answer = await admin.create_topics([NewTopic(n, BUS_PARTITIONS, 1) for n in topics.all()])
        created_topics(answer.topic_errors)  # the broker's refusal, raised here, not a wait later
        yield topics
        await admin.delete_topics(list(topics.all()))
    finally:
        await admin.close()


@pytest.fixture
def on_test_bus(infra: Infra, bus_topics: Topics) -> dict[str, str]:
    return {
        "kafka_bootstrap_servers": infra.kafka_bootstrap_servers,
        "topic_prefix": bus_topics.prefix,
        "environment": "test",
    }
