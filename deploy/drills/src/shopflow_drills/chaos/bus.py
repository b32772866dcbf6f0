"""Faults on the bus itself: poison messages, consumer offsets rewound, and who holds
which partitions of a consumer group.

- *Poison*: on every partition of every topic a consumer reads, two records no handler
  can take: bytes that are no envelope, and an envelope of a type that topic carries
  whose payload does not fit it. Each must reach its dead-letter topic once, and its
  partition must keep moving.
- *Rewind*: a group's committed offsets set back to a moment, so everything since is
  delivered again: the inbox must make every second delivery a no-op. Kafka only lets
  a group's offsets be set while none of its members is running.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from aiokafka.errors import KafkaError

from shopflow_contracts.inventory import ReserveStock, StockReserved
from shopflow_contracts.order import OrderConfirmed
from shopflow_contracts.payment import ChargePayment, PaymentCharged
from shopflow_contracts.topics import Topics
from shopflow_drills.audit.quiet import subscriptions
from shopflow_kit.messaging import Envelope, Message

POISON_PREFIX = "chaos-poison-"  # the key of every poison record: its dead letter says whose


def carried(topics: Topics) -> dict[str, type[Message]]:
    """A message type each consumed topic carries, for a poison that looks like it."""
    return {
        topics.inventory_commands: ReserveStock,
        topics.payment_commands: ChargePayment,
        topics.inventory_events: StockReserved,
        topics.payment_events: PaymentCharged,
        topics.order_events: OrderConfirmed,
    }


@dataclass(frozen=True)
class Poison:
    topic: str
    partition: int
    key: str
    kind: str  # "not an envelope" | "bad payload"


async def poison_every_topic(bootstrap: str, topics: Topics, run: str) -> list[Poison]:
    """Two poison records on every partition of every consumed topic; what was sent."""
    sent: list[Poison] = []
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for topic, message_type in carried(topics).items():
            for partition in sorted(await producer.partitions_for(topic)):
                for kind, value in _poisons(message_type):
                    key = f"{POISON_PREFIX}{run}-{len(sent)}"
                    await producer.send_and_wait(
                        topic, value, key=key.encode(), partition=partition
                    )
                    sent.append(Poison(topic, partition, key, kind))
    finally:
        await producer.stop()
    return sent


def _poisons(message_type: type[Message]) -> list[tuple[str, bytes]]:
    correlation = str(uuid.uuid4())
    bad_payload = Envelope(
        type=message_type.TYPE,
        schema_version=message_type.VERSION,
        correlation_id=correlation,
        payload={"poison": True},
    )
    return [
        ("not an envelope", b"\x00 this is not a ShopFlow envelope \xff"),
        ("bad payload", bad_payload.to_bytes()),
    ]


async def rewind(
    bootstrap: str, group: str, topics: Sequence[str], to: datetime, *, wait: float = 30.0
) -> int:
    """Set `group`'s offsets on `topics` back to the first record at or after `to`; how
    many records it will be given again. Retried while the group still has members (a
    member killed rather than stopped stays until its session times out)."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await reader.start()
    await admin.start()
    try:
        partitions = await _partitions(admin, topics)
        committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
        ends = await reader.end_offsets(partitions)
        found = await reader.offsets_for_times(
            {tp: int(to.timestamp() * 1000) for tp in partitions}
        )
        targets = {tp: found[tp].offset if found[tp] else ends[tp] for tp in partitions}
        reader.assign(partitions)
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            try:
                await reader.commit(targets)
                break
            except KafkaError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(1.0)  # members still in the group: wait for them to go
        return sum(max(0, _offset(committed.get(tp), ends[tp]) - targets[tp]) for tp in partitions)
    finally:
        await reader.stop()
        await admin.close()


async def _partitions(admin: AIOKafkaAdminClient, topics: Sequence[str]) -> list[TopicPartition]:
    """Every partition of `topics`, as the broker's metadata lists them."""
    described = await admin.describe_topics(list(topics))
    found = [
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        for partition in topic["partitions"]
    ]
    if missing := set(topics) - {tp.topic for tp in found}:
        raise KafkaError(f"no partitions listed for {sorted(missing)}")
    return sorted(found)


def _offset(committed: object, default: int) -> int:
    offset = getattr(committed, "offset", -1)
    return offset if isinstance(offset, int) and offset >= 0 else default


async def assignment(bootstrap: str, group: str) -> dict[str, list[str]]:
    """Each member of `group` and the partitions it holds (`topic[n]`), as Kafka sees it."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    members: dict[str, list[str]] = {}
    for described in response.groups:
        for member in described[
            5
        ]:  # (member_id, [instance id,] client, host, metadata, assignment)
            held = ConsumerProtocolMemberAssignment.decode(member[-1]) if member[-1] else None
            members[member[0]] = sorted(
                f"{tp.topic}[{tp.partition}]" for tp in (held.partitions() if held else [])
            )
    return members


CONSUMERS = ("order", "inventory", "payment", "notification")
"""The services that consume, each as the group `topics.group(service)`."""


def consumed_by(topics: Topics) -> dict[str, tuple[str, ...]]:
    """Each consuming service and the topics its group reads."""
    by_group = subscriptions(topics)
    return {service: by_group[topics.group(service)] for service in CONSUMERS}
