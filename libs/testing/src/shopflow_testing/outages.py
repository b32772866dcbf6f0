"""Outages on demand: a PostgreSQL server of a test's own, to kill and start again under a
service, without touching the servers every other test shares.

- `own_postgres`: `await own_postgres.up()` serves a fresh server; `own_postgres.url()`
  its database; `own_postgres.crash()` kills it (SIGKILL, as a crash would) and
  `await own_postgres.up()` brings it back on the same port and data.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shopflow_stack.config import PostgresConfig, load
from shopflow_stack.stack import Stack


class OwnPostgres:
    """One PostgreSQL server in a state folder of its own, run by the stack's own code."""

    def __init__(self, state_dir: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.config = PostgresConfig("outage", port, "outage", superuser_password="postgres")
        stack = load()
        only = dataclasses.replace(stack, state_dir=state_dir, postgres=(self.config,), apps=())
        self._stack = Stack(only)

    def url(self) -> str:
        """Its database's URL, as a service's `<PREFIX>DATABASE_URL` (role = database)."""
        return self.config.url()

    async def up(self) -> None:
        await self._stack.up([self.config.name])

    def crash(self) -> None:
        self._stack.get(self.config.name).kill()

    def down(self) -> None:
        self._stack.down([self.config.name])


@pytest.fixture
async def own_postgres() -> AsyncIterator[OwnPostgres]:
    if os.environ.get("SHOPFLOW_TEST_INFRA", "local") != "local":
        pytest.skip("kills a PostgreSQL server of its own: local processes only")
    state_dir = _state_dir()
    server = OwnPostgres(state_dir)
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
