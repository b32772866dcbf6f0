"""How fast the outbox relay drains a backlog, and how soon a committed message is published.

    uv run python benchmarks/outbox_relay.py [--backlog 50000] [--rate 200] [--seconds 15]

It starts what it needs of the local stack that is not running yet (the order service's
PostgreSQL and Kafka, as the test fixtures do) and stops only that afterwards. On a
fresh database and a fresh topic with the stack's partition count, each relay a process
of its own on uvloop (as in a service replica), it measures, in about 80 s:

1. drain rate: events/s to publish a backlog of `--backlog` rows with 1 relay, then 2;
   the clock runs from the first row marked published to the last (start-up aside);
2. latency from a writer's commit to its row marked published (after Kafka's ack), at a
   steady `--rate` of one-message transactions for `--seconds`: with LISTEN/NOTIFY, then
   with polling only (rows written without NOTIFY; the relay polls every second).
"""

import argparse
import asyncio
import statistics
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

from shopflow_kit.db import Database, service_metadata
from shopflow_kit.messaging import Envelope, Message
from shopflow_kit.messaging.outbox import add_to_outbox, outbox_row, outbox_table
from shopflow_kit.messaging.relay import OutboxRelay
from shopflow_stack.stack import Stack

OUTBOX = outbox_table(service_metadata())
ORDERS = 10_000  # distinct keys: a backlog of 50,000 is five messages an order
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


@asynccontextmanager
async def relays(count: int, database: Database, bootstrap: str) -> AsyncIterator[None]:
    """`count` relay processes, each listening for commits before this yields."""
    url = database.engine.url.render_as_string(hide_password=False)
    argv = [sys.executable, __file__, "--relay", url, bootstrap]
    processes = [await asyncio.create_subprocess_exec(*argv) for _ in range(count)]
    try:
        await until(
            database,
            "(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            f" AND query LIKE 'LISTEN%') = {count}",
        )
        yield
    finally:
        for process in processes:
            process.terminate()
            await process.wait()


async def drain_rate(database: Database, bootstrap: str, backlog: list[Any], count: int) -> float:
    """Events/s of `count` relays publishing the rows of `backlog`, written beforehand."""
    async with database.transaction() as session:
        for start in range(0, len(backlog), 5_000):
            await session.execute(insert(OUTBOX), backlog[start : start + 5_000])
    async with relays(count, database, bootstrap):
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
                await session.execute(insert(OUTBOX).values(row))

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
            await connection.run_sync(OUTBOX.metadata.create_all)
        yield database, topic
    finally:
        await database.dispose()
        await postgres.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await postgres.close()
        await admin.delete_topics([topic])
        await admin.close()


def percentiles_ms(latencies: list[float]) -> str:
    cuts = statistics.quantiles(latencies, n=100)
    return f"{cuts[49] * 1000:>8.1f} {cuts[98] * 1000:>8.1f}"


async def benchmark(backlog_size: int, rate: int, seconds: int) -> None:
    stack = Stack()
    started = await stack.up(["postgres-order", "kafka"])
    bootstrap = stack.config.kafka.bootstrap_servers
    try:
        async with fresh_outbox_and_topic(stack) as (database, topic):
            messages = map(noted, range(backlog_size))
            backlog = [outbox_row(topic=topic, key=key, envelope=e) for key, e in messages]
            drains = [await drain_rate(database, bootstrap, backlog, n) for n in (1, 2)]
            async with relays(1, database, bootstrap):
                notified, polled = [
                    await commit_to_published(database, topic, rate, seconds, notify=notify)
                    for notify in (True, False)
                ]
    finally:
        stack.down([process.name for process in started])

    partitions = stack.config.kafka.partitions
    print(f"\nOutbox relay: {partitions} partitions, batches of 100, each relay a uvloop process\n")
    print(f"drain a backlog of {backlog_size:,} rows       events/s")
    for count, events in zip((1, 2), drains, strict=True):
        print(
            f"  {count} relay{'s' if count > 1 else ' '}                          {events:>8,.0f}"
        )
    print(f"\ncommit → published, {seconds} s at {rate} msg/s      p50 ms   p99 ms  achieved")
    for label, (latencies, achieved) in (
        ("LISTEN/NOTIFY, polling as fallback", notified),
        (f"polling only, every {POLL_INTERVAL:.0f} s", polled),
    ):
        print(f"  {label:<36} {percentiles_ms(latencies)} {achieved:>6.0f}/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backlog", type=int, default=50_000)
    parser.add_argument("--rate", type=int, default=200, help="messages a second")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--relay", nargs=2, metavar=("URL", "BOOTSTRAP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.relay:  # one of the benchmark's relay processes
        url, bootstrap = args.relay
        relay = OutboxRelay(Database(url), bootstrap, poll_interval=POLL_INTERVAL)
        uvloop.run(relay.run())
    else:
        asyncio.run(benchmark(args.backlog, args.rate, args.seconds))


if __name__ == "__main__":
    main()
