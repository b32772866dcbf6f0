"""Waiting for what has no event to await: a metric's count, an outbox's rows.

Each polls briefly under a timeout: a wait that times out fails the test, which says what
it waited for.
"""

import asyncio

from fastapi import FastAPI
from sqlalchemy import MetaData, func, select

from shopflow_kit.db import Database
from shopflow_kit.messaging.outbox import OUTBOX

WAIT_SECONDS = 30.0
POLL_SECONDS = 0.05


async def counted(app: FastAPI, metric: str, **labels: str) -> None:
    """Until the app's `metric` with these labels has counted something, e.g.
    `await counted(app, "message_retries_total", topic=topic, type="ChargePayment")`.
    """
    registry = app.state.metrics.registry
    async with asyncio.timeout(WAIT_SECONDS):
        while not registry.get_sample_value(metric, labels):  # noqa: ASYNC110 - no event to await
            await asyncio.sleep(POLL_SECONDS)


async def outbox_drained(database: Database) -> None:
    """Until the relay has published every outbox row: a reply left behind would be the
    next test's (same database) to publish, to topics deleted by then."""
    outbox = OUTBOX.declare(MetaData())
    unpublished = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            async with database.transaction() as session:
                if not await session.scalar(unpublished):
                    return
            await asyncio.sleep(POLL_SECONDS)
