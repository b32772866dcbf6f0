"""Outages on demand: a server of a test's own, to kill and start again under a service,
without touching the servers every other test shares. It is a local process of the
stack's whichever infrastructure those run on (SHOPFLOW_TEST_INFRA): what it proves is
the service's behaviour when its server dies, not the server's packaging.

- `own_postgres`: `await own_postgres.up()` serves a fresh server; `own_postgres.url()`
  its database; `own_postgres.crash()` kills it (SIGKILL, as a crash would) and
  `await own_postgres.up()` brings it back on the same port and data.
- `own_redis`: the same for Redis; `own_redis.url()` is its database 0. A crash takes
  its data and its script cache with it: it saves nothing.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from shopflow_stack.config import PostgresConfig, load
from shopflow_stack.stack import Stack
from shopflow_testing.ports import unused_port


class OwnServer:
    """One process of a stack of its own, in a state folder of its own."""

    def __init__(self, stack: Stack, name: str) -> None:
        self._stack = stack
        self._name = name

    async def up(self) -> None:
        await self._stack.up([self._name])

    def crash(self) -> None:
        self._stack.get(self._name).kill()

    def down(self) -> None:
        self._stack.down([self._name])


class OwnPostgres(OwnServer):
    def __init__(self, state_dir: Path) -> None:
        self.config = PostgresConfig(
            "outage", unused_port(), "outage", superuser_password="postgres"
        )
        only = dataclasses.replace(load(), state_dir=state_dir, postgres=(self.config,), apps=())
        super().__init__(Stack(only), self.config.name)

    def url(self) -> str:
        """Its database's URL, as a service's `<PREFIX>DATABASE_URL` (role = database)."""
        return self.config.url()


class OwnRedis(OwnServer):
    def __init__(self, state_dir: Path) -> None:
        self.port = unused_port()
        only = dataclasses.replace(
            load(), state_dir=state_dir, redis_port=self.port, postgres=(), apps=()
        )
        super().__init__(Stack(only), "redis")

    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture
async def own_postgres() -> AsyncIterator[OwnPostgres]:
    async for server in _serving(OwnPostgres):
        yield server


@pytest.fixture
async def own_redis() -> AsyncIterator[OwnRedis]:
    async for server in _serving(OwnRedis):
        yield server


Server = TypeVar("Server", bound=OwnServer)


async def _serving(server_type: Callable[[Path], Server]) -> AsyncIterator[Server]:
    state_dir = _state_dir()
    server = server_type(state_dir)
    try:
        await server.up()
        yield server
    finally:
        server.down()
        shutil.rmtree(state_dir, ignore_errors=True)


def _state_dir() -> Path:
    """Under /var/tmp: as root, PostgreSQL runs as `postgres`, which must reach its data."""
    state_dir = Path(tempfile.mkdtemp(prefix="shopflow-outage-", dir="/var/tmp"))
    state_dir.chmod(0o711)
    return state_dir
