"""Pytest fixtures on real infrastructure: fresh databases, unique Kafka topics, a clean Redis.

Loaded by the repository's root conftest. Nothing starts until a test asks for it, so
unit tests (`-m unit`) never touch a server.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg
import pytest
import redis.asyncio as redis
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shopflow_stack.infra import Infra, PostgresEndpoint, test_infra

TEST_REDIS_DB = 15  # the demo stack uses 0; tests never clobber it


def unique_name(request: pytest.FixtureRequest, prefix: str) -> str:
    """A readable name unique to this run, e.g. `t_test_outbox_3f9a1c2e`."""
    module = request.module.__name__.rsplit(".", 1)[-1] if request.module else "session"
    slug = re.sub(r"[^a-z0-9]+", "_", module.lower())[:30]
    return f"{prefix}{slug}_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    with test_infra() as running:
        yield running


def _admin_execute(endpoint: PostgresEndpoint, statement: str) -> None:
    """Run one statement, callable from sync code and from inside a running event loop."""

    async def execute() -> None:
        connection = await asyncpg.connect(endpoint.url(driver="postgresql"))
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(asyncio.run, execute()).result()


@pytest.fixture(scope="module")
def fresh_database(infra: Infra, request: pytest.FixtureRequest) -> Iterator[Callable[[str], str]]:
    """A factory: `fresh_database("order")` creates an empty database on that service's
    server and returns its SQLAlchemy URL. Dropped when the module's tests are done."""
    created: list[tuple[PostgresEndpoint, str]] = []

    def create(service: str) -> str:
        endpoint = infra.postgres[service]
        name = unique_name(request, "t_")
        _admin_execute(endpoint, f'CREATE DATABASE "{name}"')
        created.append((endpoint, name))
        return endpoint.url(name)

    yield create
    for endpoint, name in created:
        _admin_execute(endpoint, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


CreateTopic = Callable[..., Coroutine[Any, Any, str]]


@pytest.fixture
async def kafka_topic(infra: Infra, request: pytest.FixtureRequest) -> AsyncIterator[CreateTopic]:
    """A factory: `await kafka_topic(partitions=3)` creates a topic no other test uses."""
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap_servers)
    await admin.start()
    created: list[str] = []

    async def create(partitions: int = 1) -> str:
        name = unique_name(request, "test.").replace("_", "-")
        await admin.create_topics([NewTopic(name, partitions, 1)])
        created.append(name)
        return name

    try:
        yield create
    finally:
        if created:
            await admin.delete_topics(created)
        await admin.close()


@pytest.fixture
async def redis_url(infra: Infra) -> str:
    """A Redis database emptied for this test."""
    url = f"{infra.redis_url}/{TEST_REDIS_DB}"
    client = redis.Redis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()
    return url
