"""What the pieces under the shop can do on this machine, measured in the same run: the
ceilings the saga's figures are read against.

- PostgreSQL: pgbench's TPC-B-like transactions (PostgreSQL's own tool) on a scratch
  database of the order service's server, as that server is configured;
- Kafka: a raw aiokafka round trip (produce with acks=all and idempotence, as the relay
  does, then consume it back, one at a time) and a batched produce rate.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
import uuid
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shopflow_benchmarks.harness import Bench
from shopflow_drills.load import Percentiles
from shopflow_stack.install import ensure_command

PGBENCH_CLIENTS = 8
BATCH_FACTOR = 20  # the batched produce sends this many times the round-trip count


async def postgres(bench: Bench) -> dict[str, Any]:
    server = bench.stack.postgres["order"].config
    name = f"bench_pgbench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server.url(driver="postgresql"))
    try:
        settings = {
            setting: await admin.fetchval(f"SHOW {setting}")
            for setting in ("synchronous_commit", "fsync", "shared_buffers")
        }
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            tps = await asyncio.to_thread(
                _pgbench, server.port, server.role, name, bench.sizes.pgbench_seconds
            )
        finally:
            # Not WITH (FORCE): that needs the right to signal every session in the database,
            # and the autovacuum worker pgbench's fresh tables attract is not the service
            # role's to end (a normal user's stack: "must be a member of the role whose
            # process is being terminated"). A plain DROP ends autovacuum workers itself and
            # waits up to 5 s for pgbench's sessions to close.
            await admin.execute(f'DROP DATABASE "{name}"')
    finally:
        await admin.close()
    return {
        "server": server.name,
        "clients": PGBENCH_CLIENTS,
        "commits_per_second": tps,
        **settings,
    }


def _pgbench(port: int, role: str, database: str, seconds: int) -> float:
    pgbench = ensure_command("pgbench", "postgresql", ("/usr/lib/postgresql/*/bin/pgbench",))
    connect = ["-h", "127.0.0.1", "-p", str(port), "-U", role]
    environment = {"PGPASSWORD": role, "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [pgbench, *connect, "-i", "-q", "-s", "1", database],
        env=environment,
        check=True,
        capture_output=True,
    )
    run = subprocess.run(
        [pgbench, *connect, "-c", str(PGBENCH_CLIENTS), "-j", "2", "-T", str(seconds), database],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )
    match = re.search(r"tps = ([\d.]+)", run.stdout)
    if not match:
        raise RuntimeError(f"no tps in pgbench's report:\n{run.stdout}")
    return float(match.group(1))


async def kafka(bench: Bench) -> dict[str, Any]:
    bootstrap = bench.stack.config.kafka.bootstrap_servers
    topic = f"bench.round-trip.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 1, 1)])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="latest"
    )
    try:
        await producer.start()
        await consumer.start()
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_end(partition)
        count = bench.sizes.kafka_messages
        trips = []
        for n in range(count):
            started = time.perf_counter()
            await producer.send_and_wait(topic, f"trip {n}".encode())
            await consumer.getone()
            trips.append(time.perf_counter() - started)
        batch = count * BATCH_FACTOR
        started = time.perf_counter()
        sent = [await producer.send(topic, b"x" * 200) for _ in range(batch)]
        await asyncio.gather(*sent)
        produce_seconds = time.perf_counter() - started
    finally:
        await consumer.stop()
        await producer.stop()
        await admin.delete_topics([topic])
        await admin.close()
    cuts = Percentiles.of(trips)
    return {
        "round_trips": count,
        "round_trip_p50_ms": (cuts.p50 or 0) * 1000,
        "round_trip_p99_ms": (cuts.p99 or 0) * 1000,
        "batched_produce_per_second": batch / produce_seconds,
    }
