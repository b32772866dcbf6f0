"""Creating topics on purpose on a real Kafka: the missing ones, once, and not before the
broker answers."""

import asyncio
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError

from shopflow_kit.messaging.topic_admin import ensure_topics
from shopflow_testing.ports import unused_port

pytestmark = pytest.mark.integration


async def test_creates_the_missing_topics_and_leaves_the_others(infra):
    names = [f"t.admin.{uuid.uuid4().hex[:8]}.{n}" for n in ("a", "b")]
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap_servers)
    await admin.start()
    try:
        assert await ensure_topics(infra.kafka_bootstrap_servers, names[:1], partitions=2) == [
            names[0]
        ]

        created = await ensure_topics(infra.kafka_bootstrap_servers, names, partitions=2)

        # A topic just created may not be in the metadata yet: asked for again, harmlessly.
        assert names[1] in created
        assert await partition_counts(admin, names) == [2, 2]
        await admin.delete_topics(names)
    finally:
        await admin.close()


async def partition_counts(admin: AIOKafkaAdminClient, names: list[str]) -> list[int]:
    """Once the broker's metadata shows every partition of the new topics (30 s at most)."""
    async with asyncio.timeout(30):
        while True:
            counts = [len(topic["partitions"]) for topic in await admin.describe_topics(names)]
            if all(counts):
                return counts
            await asyncio.sleep(0.1)


async def test_gives_up_when_no_broker_answers_within_the_wait():
    with pytest.raises(KafkaConnectionError):
        await ensure_topics(f"127.0.0.1:{unused_port()}", ["t.never"], partitions=1, wait_seconds=1)
