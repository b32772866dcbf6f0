"""The deployments' topic job on a real Kafka: the whole catalogue, once."""

import asyncio
import uuid
from collections.abc import Sequence

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from shopflow_contracts.create_topics import main
from shopflow_contracts.topics import Topics
from shopflow_testing.printed import printed

pytestmark = pytest.mark.integration


async def test_creates_the_catalogue_under_the_prefix_and_then_nothing(infra, monkeypatch, capsys):
    prefix = f"t.create.{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS", infra.kafka_bootstrap_servers)
    monkeypatch.setenv("SHOPFLOW_TOPIC_PREFIX", prefix)
    expected = Topics(prefix).all()
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap_servers)
    await admin.start()
    try:
        # main() runs its own event loop: off this one, in a thread.
        first = await _run(["--partitions", "2"])
        second = await _run(["--partitions", "2"])

        assert (first, second) == (0, 0)
        out = printed(capsys.readouterr().out)
        assert out[0].endswith(f"created: {' '.join(expected)}")
        assert out[1].endswith("created: none")
        await listed(admin, expected)
        await admin.delete_topics(list(expected))
    finally:
        await admin.close()


async def listed(admin: AIOKafkaAdminClient, topics: Sequence[str]) -> None:
    """Until the broker's metadata lists `topics` (it trails a creation by a moment)."""
    async with asyncio.timeout(30):
        while not set(topics) <= set(await admin.list_topics()):  # noqa: ASYNC110 - no event to await
            await asyncio.sleep(0.1)


async def _run(argv: list[str]) -> int:
    return await asyncio.to_thread(main, argv)
