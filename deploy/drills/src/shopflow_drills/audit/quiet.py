"""Quiet: nothing left moving, so the databases can be compared.

The shop is quiet when no saga is in flight, every outbox is drained and every consumer
group has read its topics to the end. Before that, a confirmed order may still have its
stock reserved (CommitStock on its way) and a charge may be in the ledger a moment before
the payment records it: comparing then would report what is only late. So the auditor
waits for quiet, bounded, and says what was still moving if it never came.

One measurement reads the sagas, the outboxes and the lags one after another, so a
message can slip between the reads: counted in no outbox (written just after its outbox
was read) and behind no consumer (its command just committed, its reply not yet on
Kafka). So quiet is two quiet measurements with nothing written in between: the same
outbox high-water marks and the same end offsets of every topic read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shopflow_contracts.topics import Topics
from shopflow_drills.audit.world import PUBLISHING_DATABASES, snapshot
from shopflow_drills.deployment import Deployment


def subscriptions(topics: Topics) -> dict[str, tuple[str, ...]]:
    """Each consumer group and the topics it reads (as each service's app declares them)."""
    return {
        topics.group("order"): (topics.inventory_events, topics.payment_events),
        topics.group("inventory"): (topics.inventory_commands,),
        topics.group("payment"): (topics.payment_commands,),
        topics.group("notification"): (topics.order_events,),
    }


@dataclass(frozen=True)
class Motion:
    """What is still moving at one moment; quiet when all of it is zero."""

    sagas_in_flight: int
    unpublished: dict[str, int]  # database → outbox rows not yet published
    lag: dict[str, int]  # consumer group → messages not yet read
    problems: tuple[str, ...] = field(default=())  # what could not be measured
    # What every write moves on: each outbox's highest seq, each group's topics' end offsets.
    marks: dict[str, int] = field(default_factory=dict)

    @property
    def quiet(self) -> bool:
        return (
            not self.problems
            and self.sagas_in_flight == 0
            and not any(self.unpublished.values())
            and not any(self.lag.values())
        )

    def still_after(self, earlier: Motion) -> bool:
        """Quiet now and at `earlier`, and nothing written in between: really quiet."""
        return earlier.quiet and self.quiet and earlier.marks == self.marks

    def describe(self) -> str:
        parts = [f"{self.sagas_in_flight} sagas in flight"]
        parts += [f"{n} unpublished in {db}'s outbox" for db, n in self.unpublished.items() if n]
        parts += [f"group {group} {n} behind" for group, n in self.lag.items() if n]
        return ", ".join([*parts, *self.problems])


async def measure_motion(deployment: Deployment) -> Motion:
    """What is moving now. A server that cannot be reached is a problem to report (it may be
    restarting during a drill), not a crash: the measurement is simply not quiet."""
    problems: list[str] = []
    in_flight = 0
    unpublished: dict[str, int] = {}
    lag: dict[str, int] = {}
    marks: dict[str, int] = {}
    try:
        async with snapshot(deployment.postgres_dsn("order")) as order_db:
            in_flight = await order_db.fetchval(
                "SELECT count(*) FROM sagas WHERE status NOT IN ('COMPLETED', 'CANCELLED')"
            )
        for name in PUBLISHING_DATABASES:
            async with snapshot(deployment.postgres_dsn(name)) as db:
                row = await db.fetchrow(
                    # A row set aside (ADR 0020) will not move by itself: not motion.
                    "SELECT count(*) FILTER (WHERE published_at IS NULL AND set_aside_at IS NULL)"
                    " AS unpublished,"
                    " coalesce(max(seq), 0) AS last_seq FROM outbox"
                )
                unpublished[name] = row["unpublished"]
                marks[f"{name} outbox"] = row["last_seq"]
    except (OSError, asyncpg.PostgresError) as error:
        problems.append(f"database unreachable: {error!r}")
    try:
        lag, ends = await consumer_lag(deployment)
        marks |= {f"{group} topics": end for group, end in ends.items()}
    except Exception as error:  # aiokafka raises several unrelated kinds when Kafka is down
        problems.append(f"consumer lag unknown: {error!r}")
    return Motion(in_flight, unpublished, lag, tuple(problems), marks)


async def consumer_lag(deployment: Deployment) -> tuple[dict[str, int], dict[str, int]]:
    """Per consumer group, the messages on its topics it has not committed yet, and the sum
    of its topics' end offsets.

    A partition the group never committed counts from its beginning: those messages are
    still to be read.
    """
    bootstrap = deployment.kafka_bootstrap_servers
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, request_timeout_ms=10_000)
    await admin.start()
    try:
        await reader.start()
        await reader.topics()  # loads the metadata of every topic, for partitions_for_topic
        lag: dict[str, int] = {}
        ends_by_group: dict[str, int] = {}
        for group, topics in subscriptions(deployment.topics).items():
            partitions = [
                TopicPartition(topic, p)
                for topic in topics
                for p in sorted(reader.partitions_for_topic(topic) or ())
            ]
            if not partitions:
                continue
            committed = await admin.list_consumer_group_offsets(group)
            ends = await reader.end_offsets(partitions)
            starts = await reader.beginning_offsets(partitions)
            lag[group] = sum(
                max(0, ends[tp] - _position(committed.get(tp), starts[tp])) for tp in partitions
            )
            ends_by_group[group] = sum(ends.values())
        return lag, ends_by_group
    finally:
        await reader.stop()
        await admin.close()


def _position(committed: object, start: int) -> int:
    offset = getattr(committed, "offset", -1)
    return offset if isinstance(offset, int) and offset >= 0 else start


async def wait_for_quiet(
    deployment: Deployment,
    within: float,
    interval: float = 0.5,
    measure: Callable[[Deployment], Awaitable[Motion]] = measure_motion,
) -> tuple[Motion, float]:
    """The first measurement still quiet after a quiet one (`Motion.still_after`), or the
    last one after `within` seconds; and the wait."""
    began = time.monotonic()
    previous: Motion | None = None
    while True:
        motion = await measure(deployment)
        waited = time.monotonic() - began
        if (previous is not None and motion.still_after(previous)) or waited >= within:
            return motion, waited
        previous = motion
        await asyncio.sleep(min(interval, max(0.0, within - waited)))
