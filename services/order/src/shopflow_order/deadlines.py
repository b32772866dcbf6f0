"""The deadline sweeper: a background job that moves on the sagas nobody answered in time.

Each sweep is one transaction: take the overdue sagas (locked, SKIP LOCKED, so several
instances share the work), send their command again or compensate, settle the orders
that ends. Deadlines are rows, so a saga left waiting by a stopped instance is picked
up by the next one to sweep.
"""

import asyncio
import logging

from sqlalchemy.exc import SQLAlchemyError

from shopflow_kit import Database
from shopflow_order.orchestrator import Orchestrator

logger = logging.getLogger(__name__)

SWEEP_BATCH = 100  # sagas per transaction: short locks, and a backlog drains batch by batch


class DeadlineSweeper:
    def __init__(self, database: Database, orchestrator: Orchestrator, *, interval: float) -> None:
        self._database = database
        self._orchestrator = orchestrator
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
            return await self._orchestrator.on_deadlines(session, SWEEP_BATCH)
