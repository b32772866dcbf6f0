"""The runner's promises: a dead process is shown dead, `up` is idempotent, health is real,
the broker has the topic catalogue."""

import asyncio
import signal

import pytest
from aiokafka import AIOKafkaConsumer

from shopflow_contracts.topics import ALL_TOPICS
from shopflow_stack.stack import Stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(local_stack: Stack) -> Stack:
    """The runner's own servers, whichever servers the other integration tests use
    (SHOPFLOW_TEST_INFRA): what is tested here is the runner."""
    asyncio.run(local_stack.up([process.name for process in local_stack.infrastructure]))
    return local_stack


async def test_a_killed_process_is_reported_dead_until_up_starts_it_again(stack):
    stack.redis.kill(signal.SIGKILL)

    rows = {row.name: row for row in await stack.status()}
    assert rows["redis"].health == "dead"
    assert rows["redis"].pid is None

    started = await stack.up(["redis"])

    assert [p.name for p in started] == ["redis"]
    rows = {row.name: row for row in await stack.status()}
    assert rows["redis"].health == "healthy"


async def test_up_when_everything_runs_starts_nothing(stack):
    assert await stack.up([p.name for p in stack.infrastructure]) == []


async def test_a_stopped_process_answers_no_probe(stack):
    stack.redis.kill(signal.SIGSTOP)  # frozen: alive by pid, yet not serving
    try:
        rows = {row.name: row for row in await stack.status()}
        assert rows["redis"].health.startswith("unhealthy")
    finally:
        stack.redis.kill(signal.SIGCONT)


async def test_the_broker_has_every_topic_of_the_catalogue(stack):
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.config.kafka.bootstrap_servers)
    await consumer.start()
    try:
        assert set(ALL_TOPICS) <= await consumer.topics()
    finally:
        await consumer.stop()
