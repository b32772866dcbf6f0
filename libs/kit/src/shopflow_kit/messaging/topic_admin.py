"""Creating a deployment's topics on purpose: brokers here never create a topic by use.

`ensure_topics` creates the topics that do not exist yet and leaves existing ones as they
are. It first waits for the broker to answer, so a job started beside a booting broker
(the compose stack's `kafka-topics`, a Kubernetes Job) needs no retry loop of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError, for_code


async def ensure_topics(
    bootstrap_servers: str,
    names: Sequence[str],
    partitions: int,
    replication_factor: int = 1,
    wait_seconds: float = 60,
    min_insync_replicas: int | None = None,
) -> list[str]:
    """Create those of `names` that do not exist yet; returns the ones this call created.

    A topic created a moment ago may be missing from the broker's metadata and asked for
    again: the broker answers "already exists" for it, which is what we wanted anyway."""
    deadline = asyncio.get_running_loop().time() + wait_seconds
    # How many replicas must have a write before acks=all succeeds (N-1 of N: one may be down).
    config = {"min.insync.replicas": str(min_insync_replicas)} if min_insync_replicas else {}
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=5000)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [n for n in names if n not in existing]
            if not missing:
                return []
            response = await admin.create_topics(
                [NewTopic(n, partitions, replication_factor, topic_configs=config) for n in missing]
            )
            return created_topics(response.topic_errors)
        except KafkaConnectionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
        finally:
            await admin.close()
        await asyncio.sleep(1)


def created_topics(topic_errors: Sequence[tuple[str, int, *tuple[object, ...]]]) -> list[str]:
    """The topics a CreateTopics answer says were created; raises the first error other than
    "already exists" (aiokafka returns the answer's per-topic errors without raising)."""
    created = []
    for name, code, *_ in topic_errors:
        if code == 0:
            created.append(name)
        elif code != TopicAlreadyExistsError.errno:
            raise for_code(code)(f"creating topic {name}")
    return created
