"""The relay's wake-up call: a connection of its own that LISTENs for outbox commits.

A notification is a hint, never the message: the relay polls anyway, so a notification
lost while this connection was down costs at most one poll interval, never a message.
"""

import asyncio
import logging
from contextlib import suppress
from typing import Any

import asyncpg
from sqlalchemy.engine import URL

from shopflow_kit.messaging.outbox import OUTBOX_CHANNEL

logger = logging.getLogger(__name__)

_CONNECT_FAILURES = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class CommitListener:
    """Waits for the next commit that wrote to the outbox, or for the poll interval to pass."""

    def __init__(self, url: URL, *, name: str) -> None:
        # Its own asyncpg connection: a pooled one would go back to the pool and stop listening.
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._name = name
        self._connection: Any = None
        self._committed = asyncio.Event()
        self._deaf = False  # LISTEN failed last time: said once, said again when it works

    async def wait(self, at_most: float) -> None:
        """Return at the next outbox commit, or after `at_most` seconds."""
        await self._listen()
        with suppress(TimeoutError):
            async with asyncio.timeout(at_most):
                await self._committed.wait()
        self._committed.clear()

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with suppress(*_CONNECT_FAILURES):
                await connection.close(timeout=5)

    async def _listen(self) -> None:
        if self._connection is not None and not self._connection.is_closed():
            return
        try:
            self._connection = await self._connect()
        except _CONNECT_FAILURES as error:
            if not self._deaf:
                logger.warning(
                    "%s cannot LISTEN (%r): polling only, until it can", self._name, error
                )
            self._deaf = True
            return
        if self._deaf:
            logger.info("%s listens for outbox commits again", self._name)
        self._deaf = False
        # Commits made before the LISTEN went unheard: look once instead of waiting a poll.
        self._committed.set()

    async def _connect(self) -> Any:
        connection = await asyncpg.connect(
            self._dsn, timeout=10, server_settings={"application_name": self._name}
        )
        try:
            await connection.add_listener(OUTBOX_CHANNEL, self._on_commit)
        except BaseException:
            connection.terminate()
            raise
        connection.add_termination_listener(self._on_connection_lost)
        return connection

    def _on_commit(self, _connection: Any, _pid: int, _channel: str, _payload: str) -> None:
        self._committed.set()

    def _on_connection_lost(self, _connection: Any) -> None:
        # Wake the relay: it polls, and its next wait connects and LISTENs again.
        self._committed.set()
