"""Where the test infrastructure is: real servers, as local processes or as containers.

`local` (the default) starts the stack's own PostgreSQL, Redis and Kafka processes, or
reuses those a `make up` already runs, and stops only what it started. `containers`
(SHOPFLOW_TEST_INFRA=containers, needs a Docker engine) uses testcontainers instead.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass, field

import pytest

from shopflow_stack.config import BusConfig, load_bus
from shopflow_stack.stack import Stack


@dataclass(frozen=True)
class PostgresEndpoint:
    host: str
    port: int
    user: str
    password: str
    database: str

    def url(self, database: str | None = None, driver: str = "postgresql+asyncpg") -> str:
        db = database or self.database
        return f"{driver}://{self.user}:{self.password}@{self.host}:{self.port}/{db}"


@dataclass(frozen=True)
class Infra:
    postgres: dict[str, PostgresEndpoint]  # by service name
    kafka_bootstrap_servers: str
    redis_url: str  # without a database number
    # `async with infra.kafka_outage():` stops the broker for the block's duration, then
    # starts it again on the same port and data; None where that is impossible.
    kafka_outage: Callable[[], AbstractAsyncContextManager[None]] | None = None
    # How the stack's apps wait on Kafka (`[bus]` in stack.toml): consumers and relays that
    # tests build themselves wait the same, whatever the servers run in.
    bus: BusConfig = field(default_factory=load_bus)


def unique_name(request: pytest.FixtureRequest, prefix: str) -> str:
    """A readable name unique to this run, e.g. `t_test_outbox_3f9a1c2e`."""
    module = request.module.__name__.rsplit(".", 1)[-1] if request.module else "session"
    slug = re.sub(r"[^a-z0-9]+", "_", module.lower())[:30]
    return f"{prefix}{slug}_{uuid.uuid4().hex[:8]}"


@contextmanager
def test_infra() -> Iterator[Infra]:
    mode = os.environ.get("SHOPFLOW_TEST_INFRA", "local")
    if mode == "local":
        with _local() as infra:
            yield infra
    elif mode == "containers":
        with _containers() as infra:
            yield infra
    else:
        raise ValueError(f"SHOPFLOW_TEST_INFRA must be 'local' or 'containers', not {mode!r}")


@contextmanager
def stack_servers() -> Iterator[Stack]:
    """The local stack's servers (PostgreSQL, Kafka, Redis) as `make up` runs them, started
    if they are not running. A stack that `make up` started stays up; what this started, it
    stops after."""
    stack = Stack()
    started = asyncio.run(stack.up([p.name for p in stack.infrastructure]))
    try:
        yield stack
    finally:
        if started and not os.environ.get("SHOPFLOW_KEEP_STACK"):
            stack.down([p.name for p in started])


@contextmanager
def shared_stack() -> Iterator[Stack]:
    """The local stack for a whole test run. The tests that drive it start what they need
    (`await stack.up(...)`), so each process starts once, whatever order the tests run in;
    afterwards what was not running before the run is stopped (SHOPFLOW_KEEP_STACK: nothing)."""
    stack = Stack()
    running = {process.name for process in stack.processes if process.pid()}
    try:
        yield stack
    finally:
        if not os.environ.get("SHOPFLOW_KEEP_STACK"):
            stack.down([p.name for p in stack.processes if p.name not in running])


@contextmanager
def _local() -> Iterator[Infra]:
    with stack_servers() as stack:
        yield Infra(
            postgres={
                service: PostgresEndpoint(
                    "127.0.0.1", pg.port, pg.config.role, pg.config.role, pg.config.database
                )
                for service, pg in stack.postgres.items()
            },
            kafka_bootstrap_servers=stack.config.kafka.bootstrap_servers,
            redis_url=f"redis://127.0.0.1:{stack.config.redis_port}",
            kafka_outage=lambda: _outage(stack, "kafka"),
            bus=stack.config.bus,
        )


@asynccontextmanager
async def _outage(stack: Stack, name: str) -> AsyncIterator[None]:
    await asyncio.to_thread(stack.down, [name])
    try:
        yield
    finally:
        await stack.up([name])


@contextmanager
def _containers() -> Iterator[Infra]:
    from shopflow_testing.containers import container_infra

    with container_infra() as infra:
        yield infra
