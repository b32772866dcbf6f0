"""What the relay tests share: background jobs at work for a block, a condition awaited,
a topic read back whole.

    async with running(relay, consumer):
        await eventually(lambda: all_published(database))
    records = await read_all(bootstrap, topic, partitions=3)
"""

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition


class Job(Protocol):
    def run(self) -> Coroutine[Any, Any, None]: ...


@asynccontextmanager
async def running(*jobs: Job) -> AsyncIterator[None]:
    """The relays (and consumers) at work for the block, then cancelled: as an app's
    background jobs are."""
    tasks = [asyncio.create_task(job.run()) for job in jobs]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task  # a relay that crashed raises here


async def eventually(condition: Callable[[], bool | Awaitable[bool]], within: float = 30) -> None:
    """Return once `condition` holds, looking every 50 ms; TimeoutError after `within` s."""
    async with asyncio.timeout(within):
        while True:
            holds = condition()
            if await holds if inspect.isawaitable(holds) else holds:
                return
            await asyncio.sleep(0.05)


async def read_all(bootstrap: str, topic: str, *, partitions: int) -> list[ConsumerRecord]:
    """Every record on `topic` now, each partition in its order."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        assigned = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(assigned)
        ends = await consumer.end_offsets(assigned)
        records: list[ConsumerRecord] = []
        async with asyncio.timeout(30):
            while [p for p in assigned if await consumer.position(p) < ends[p]]:
                for batch in (await consumer.getmany(timeout_ms=1000)).values():
                    records += batch
        return records
    finally:
        await consumer.stop()
