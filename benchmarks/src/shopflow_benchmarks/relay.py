"""How fast the outbox relay drains a backlog, and how soon a committed message is published.

On a fresh database on the order service's PostgreSQL server and a fresh topic with the
stack's partition count, each relay a process of its own on uvloop (as in a service
replica), it measures:

1. drain rate: events/s to publish a backlog of rows with 1 relay, then 2; the clock
   runs from the first row marked published to the last (start-up aside);
2. latency from a writer's commit to its row marked published (after Kafka's ack), at a
   steady rate of one-message transactions: with LISTEN/NOTIFY, then with polling only
   (rows written without NOTIFY; the relay polls every second).

`python -m shopflow_benchmarks.relay URL BOOTSTRAP` is one such relay process.
"""

import asyncio
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import uvloop
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import insert, text

from shopflow_benchmarks.harness import Bench
from shopflow_drills.load import Percentiles
from shopflow_kit.db import Database, service_metadata
from shopflow_kit.messaging import Envelope, Message
from shopflow_kit.messaging.outbox import (
    OUTBOX,
    OUTBOX_CHANNEL,
    add_to_outbox,
    outbox_row,
)
from shopflow_kit.messaging.relay import OutboxRelay
from shopflow_stack.stack import Stack

OUTBOX_TABLE = OUTBOX.declare(service_metadata())
ORDERS = 10_000  # distinct keys: a backlog of 20,000 is two messages an order
POLL_INTERVAL = 1.0  # the relay's default
ALL_PUBLISHED = "NOT EXISTS (SELECT 1 FROM outbox WHERE published_at IS NULL)"


class OrderNoted(Message):
    n: int


def noted(n: int) -> tuple[str, Envelope]:
    key = f"order-{n % ORDERS}"
    return key, Envelope.wrap(OrderNoted(n=n), correlation_id=key)


async def query(database: Database, sql: str) -> list[Any]:
    async with database.transaction() as session:
        return list(await session.execute(text(sql)))


async def empty_the_outbox(database: Database) -> None:
    async with database.transaction() as session:
        await session.execute(text("TRUNCATE outbox"))


async def until(database: Database, condition: str) -> None:
    """Return once the SQL `condition` holds, asking every 100 ms."""
    while True:
        if (await query(database, f"SELECT {condition}"))[0][0]:
            return
        await asyncio.sleep(0.1)


LISTENING = (
    "(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND query LIKE 'LISTEN%')"
)


@asynccontextmanager
async def relays(
    count: int, database: Database, bootstrap: str
) -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """`count` relay processes, started together, each listening for commits before this yields."""
    url = database.engine.url.render_as_string(hide_password=False)
    argv = [sys.executable, "-m", "shopflow_benchmarks.relay", url, bootstrap]
    processes = [await asyncio.create_subprocess_exec(*argv) for _ in range(count)]
    try:
        await until(database, f"{LISTENING} = {count}")
        yield processes
    finally:
        for process in processes:
            await stop(process)


async def stop(relay: asyncio.subprocess.Process) -> None:
    if relay.returncode is None:
        relay.terminate()
        await relay.wait()


async def drain_rate(database: Database, backlog: list[Any]) -> float:
    """Events/s of the running relays publishing `backlog`, committed as one transaction
    (so the relays meet it whole, as after an outage) and announced as a commit is."""
    async with database.transaction() as session:
        for start in range(0, len(backlog), 5_000):
            await session.execute(insert(OUTBOX_TABLE), backlog[start : start + 5_000])
        await session.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))
    await until(database, ALL_PUBLISHED)
    [(seconds,)] = await query(
        database, "SELECT extract(epoch FROM max(published_at) - min(published_at)) FROM outbox"
    )
    await empty_the_outbox(database)
    return len(backlog) / float(seconds)


async def commit_to_published(
    database: Database, topic: str, rate: int, seconds: int, *, notify: bool
) -> tuple[list[float], float]:
    """Seconds from each message's commit to its row marked published, and the rate achieved.

    Each message is a transaction of its own, started on schedule whether or not the last
    one has finished, as a service's concurrent requests would. Both ends are read from
    PostgreSQL's clock (created_at, published_at): the writer's own clock would add its
    event loop's delays. The commit follows the insert by one round trip.
    """

    async def write(n: int) -> None:
        key, envelope = noted(n)
        async with database.transaction() as session:
            if notify:
                await add_to_outbox(session, topic=topic, key=key, envelope=envelope)
            else:
                row = outbox_row(topic=topic, key=key, envelope=envelope)
                await session.execute(insert(OUTBOX_TABLE).values(row))

    began = time.monotonic()
    writes = []
    for n in range(rate * seconds):
        await asyncio.sleep(max(0.0, began + n / rate - time.monotonic()))
        writes.append(asyncio.create_task(write(n)))
    await asyncio.gather(*writes)
    achieved = len(writes) / (time.monotonic() - began)
    await until(database, ALL_PUBLISHED)
    lags = await query(database, "SELECT extract(epoch FROM published_at - created_at) FROM outbox")
    await empty_the_outbox(database)
    return [float(lag) for (lag,) in lags], achieved


@asynccontextmanager
async def fresh_outbox_and_topic(stack: Stack) -> AsyncIterator[tuple[Database, str]]:
    """A database with an empty outbox on the order service's server, and a new topic."""
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.config.kafka.bootstrap_servers)
    await admin.start()
    topic = f"bench.outbox-relay.{uuid.uuid4().hex[:8]}"
    await admin.create_topics([NewTopic(topic, stack.config.kafka.partitions, 1)])
    server = stack.postgres["order"].config
    name = f"bench_outbox_{uuid.uuid4().hex[:8]}"
    postgres = await asyncpg.connect(server.url(driver="postgresql"))
    await postgres.execute(f'CREATE DATABASE "{name}"')
    database = Database(server.url(name), pool_size=10)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(OUTBOX_TABLE.metadata.create_all)
        yield database, topic
    finally:
        await database.dispose()
        await postgres.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await postgres.close()
        await admin.delete_topics([topic])
        await admin.close()


async def relay(bench: Bench) -> dict[str, Any]:
    sizes = bench.sizes
    bootstrap = bench.stack.config.kafka.bootstrap_servers
    async with fresh_outbox_and_topic(bench.stack) as (database, topic):
        messages = map(noted, range(sizes.relay_backlog))
        backlog = [outbox_row(topic=topic, key=key, envelope=e) for key, e in messages]
        # Both relays start together (a process start is the slow part), measure together,
        # then one stops and the other measures alone.
        async with relays(2, database, bootstrap) as both:
            two = await drain_rate(database, backlog)
            await stop(both[1])
            await until(database, f"{LISTENING} = 1")
            one = await drain_rate(database, backlog)
            latencies = {
                label: await commit_to_published(
                    database, topic, sizes.relay_rate, sizes.relay_seconds, notify=notify
                )
                for label, notify in (("listen_notify", True), ("polling_only", False))
            }
        drains = [one, two]
    return {
        "partitions": bench.stack.config.kafka.partitions,
        "backlog": sizes.relay_backlog,
        "drain_per_second": {"1 relay": drains[0], "2 relays": drains[1]},
        "commit_to_published": {
            label: {
                "rate": sizes.relay_rate,
                "seconds": sizes.relay_seconds,
                "achieved_rate": achieved,
                **_ms(Percentiles.of(lags)),
            }
            for label, (lags, achieved) in latencies.items()
        },
        "poll_interval_seconds": POLL_INTERVAL,
    }


def _ms(cuts: Percentiles) -> dict[str, float]:
    return {"p50_ms": (cuts.p50 or 0) * 1000, "p99_ms": (cuts.p99 or 0) * 1000}


if __name__ == "__main__":  # one relay process of the drain and latency measurements
    url, bootstrap = sys.argv[1:3]
    uvloop.run(OutboxRelay(Database(url), bootstrap, poll_interval=POLL_INTERVAL).run())
