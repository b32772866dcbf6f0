"""Test support for services (a pytest plugin, loaded by the root conftest).

- `app_client(app)`: an HTTP client on an app with its lifespan running;
- `running_server(app)`: the app served over real HTTP on a free loopback port;
- `bus_topics`: a complete set of ShopFlow topics (commands, events, dead letters)
  under a prefix of the test's own, for `topic_prefix=bus_topics.prefix` in settings;
- `on_test_bus`: the settings fields that put a service on those topics,
  `OrderSettings(database_url=..., **on_test_bus)`;
- `database_with`: `await database_with(metadata)`, a `Database` on a fresh database
  with those tables created (for the kit's own tests, which have no migrations);
- `migrated_database(service, migrations)`: a fresh database on that service's real
  PostgreSQL server with every migration applied (built on `fresh_database`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from fastapi import FastAPI
from sqlalchemy import MetaData

from shopflow_kit.db import Database
from shopflow_kit.messaging.topics import Topics
from shopflow_kit.migrations import upgrade
from shopflow_stack.infra import Infra
from shopflow_stack.pytest_plugin import unique_name

BUS_PARTITIONS = 3  # as the stack's topics: per-key order is what the tests rely on


@asynccontextmanager
async def app_client(
    app: FastAPI, base_url: str = "http://service"
) -> AsyncIterator[httpx.AsyncClient]:
    """Starts the app's lifespan (database, background jobs) and stops it afterwards;
    `httpx.ASGITransport` alone does not."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


@asynccontextmanager
async def running_server(app: FastAPI) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on 127.0.0.1 and a free port; yields its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()  # raises why it could not start
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
def migrated_database(fresh_database: Callable[[str], str]) -> Callable[[str, Path], str]:
    """A factory: `migrated_database("order", MIGRATIONS)` returns the URL of a new
    database on the order service's server, migrated to head."""

    def create(service: str, migrations: Path) -> str:
        url = fresh_database(service)
        # Alembic's env runs its own event loop: keep it off the test's running loop.
        with ThreadPoolExecutor(max_workers=1) as worker:
            worker.submit(upgrade, migrations, url).result()
        return url

    return create


@pytest.fixture
async def bus_topics(infra: Infra, request: pytest.FixtureRequest) -> AsyncIterator[Topics]:
    topics = Topics(prefix=unique_name(request, "t."))
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, BUS_PARTITIONS, 1) for name in topics.all()])
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


@pytest.fixture
async def database_with(
    fresh_database: Callable[[str], str],
) -> AsyncIterator[Callable[[MetaData], Awaitable[Database]]]:
    opened: list[Database] = []

    async def create(metadata: MetaData) -> Database:
        database = Database(fresh_database("order"), pool_size=10)
        opened.append(database)
        async with database.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        return database

    yield create
    for database in opened:
        await database.dispose()
