"""The pytest plugin: fixtures on real infrastructure, loaded by the repository's root conftest.

Nothing starts until a test asks for it, so unit tests (`-m unit`) never touch a server.
SHOPFLOW_TEST_INFRA=containers puts the servers behind `infra` in containers; the tests
that run a stack of their own (e2e, drills, the stack runner's) run it as they always do.

- `infra`: the servers, for the whole run (see `infra`);
- `local_stack`: the local stack, shared by the tests that drive it (e2e, drills, the runner's);
- `fresh_database("order")`: an empty database on that service's own PostgreSQL server,
  dropped when the test module is done;
- `migrated_database("order")`: the same with every migration of `shopflow_order` applied;
- `database_with(metadata)`: a `Database` on a fresh database with those tables created
  (for the kit's own tests, which have no migrations);
- `redis_url`: a Redis database emptied for the test;
- `client` and `database`, for a service's tests: a client on its `app`, lifespan running,
  and a `Database` on its `database_url` (the service's conftest defines those two);
- from `shopflow_testing.kafka`: `kafka_topic`, `bus_topics`, `on_test_bus`;
- from `shopflow_testing.outages`: `own_postgres` and `own_redis`, servers to kill under a service.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg
import httpx
import pytest
import redis.asyncio as redis
from fastapi import FastAPI
from sqlalchemy import MetaData

from shopflow_kit.db import Database
from shopflow_kit.migrations import upgrade
from shopflow_kit.settings import SERVICE_TOKEN_SECRET_VARIABLE
from shopflow_stack.stack import Stack
from shopflow_testing.callers import TEST_SERVICE_TOKEN_SECRET
from shopflow_testing.infra import Infra, PostgresEndpoint, shared_stack, test_infra, unique_name
from shopflow_testing.migrations import migrations_of
from shopflow_testing.servers import app_client

pytest_plugins = ["shopflow_testing.kafka", "shopflow_testing.outages"]

TEST_REDIS_DB = 15  # the demo stack uses 0; tests never clobber it


def pytest_configure() -> None:
    # The key of every service a test builds, and of the tokens `callers` signs; the
    # local stack's own (a development placeholder) would be refused in `test`.
    os.environ[SERVICE_TOKEN_SECRET_VARIABLE] = TEST_SERVICE_TOKEN_SECRET


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    with test_infra() as running:
        yield running


@pytest.fixture(scope="session")
def local_stack() -> Iterator[Stack]:
    """The local stack `make up` runs, one for the e2e tests, the drills and the runner's own
    tests: whichever comes first starts a process, the run's end stops it (`shared_stack`)."""
    with shared_stack() as stack:
        yield stack


@pytest.fixture(scope="module")
def fresh_database(infra: Infra, request: pytest.FixtureRequest) -> Iterator[Callable[[str], str]]:
    """A factory: `fresh_database("order")` creates an empty database on that service's
    server and returns its SQLAlchemy URL. Dropped when the module's tests are done."""
    created: list[tuple[PostgresEndpoint, str]] = []

    def create(service: str) -> str:
        endpoint = infra.postgres[service]
        name = unique_name(request, "t_")
        _run_blocking(_admin_execute(endpoint, f'CREATE DATABASE "{name}"'))
        created.append((endpoint, name))
        return endpoint.url(name)

    yield create
    for endpoint, name in created:
        _run_blocking(_admin_execute(endpoint, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def migrated_database(fresh_database: Callable[[str], str]) -> Callable[[str], str]:
    """A factory: `migrated_database("order")` returns the URL of a new database on the
    order service's server, migrated to head by the migrations of `shopflow_order`."""

    def create(service: str) -> str:
        url = fresh_database(service)
        # Alembic's env runs its own event loop: keep it off the test's running loop.
        with ThreadPoolExecutor(max_workers=1) as worker:
            worker.submit(upgrade, migrations_of(service), url).result()
        return url

    return create


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


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the service's `app` (its conftest's fixture), the app's lifespan running."""
    async with app_client(app) as client:
        yield client


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """The service's database (its conftest's `database_url`), for reading what it wrote."""
    database = Database(database_url)
    yield database
    await database.dispose()


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


async def _admin_execute(endpoint: PostgresEndpoint, statement: str) -> None:
    connection = await asyncpg.connect(endpoint.url(driver="postgresql"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _run_blocking(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` to its end, from sync code and from inside a running event loop alike."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(asyncio.run, work).result()
