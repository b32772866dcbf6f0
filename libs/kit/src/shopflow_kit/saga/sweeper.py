"""The deadline sweeper: a background job that moves on the sagas nobody answered in time.

Each sweep is one transaction: the service's `sweep` takes up to `SWEEP_BATCH` overdue
sagas (`SagaStore.overdue` locks them with SKIP LOCKED, so several instances share the
work), sends their command again or compensates, and settles what that ends. Deadlines
are rows, so a saga left waiting by a stopped instance is picked up by the next sweep.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_kit.db import Database

logger = logging.getLogger(__name__)

SWEEP_BATCH = 100  # sagas per transaction: short locks, and a backlog drains batch by batch

Sweep = Callable[[AsyncSession, int], Awaitable[int]]
"""Moves on up to so many overdue sagas in the session's transaction; returns how many."""


class DeadlineSweeper:
    def __init__(self, database: Database, sweep: Sweep, *, interval: float) -> None:
        self._database = database
        self._sweep = sweep
        self._interval = interval  # seconds between sweeps when there is no backlog

    async def run(self) -> None:
        """Sweep until cancelled: a `create_app(background=...)` job."""
        while True:
            try:
                swept = await self.sweep()
            except (SQLAlchemyError, OSError) as error:
                # PostgreSQL away: the deadlines wait in their rows; try again next time.
                logger.warning("deadline sweep failed: %r", error)
                swept = 0
            if swept < SWEEP_BATCH:
                await asyncio.sleep(self._interval)

    async def sweep(self) -> int:
        """One sweep: how many overdue sagas it moved on (up to SWEEP_BATCH)."""
        async with self._database.transaction() as session:
            return await self._sweep(session, SWEEP_BATCH)
