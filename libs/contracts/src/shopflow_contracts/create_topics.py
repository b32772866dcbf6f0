"""`python -m shopflow_contracts.create_topics --partitions 3 [--replication-factor 3
--min-insync-replicas 2]`: create every topic of the
catalogue that does not exist yet, on $SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS, under
$SHOPFLOW_TOPIC_PREFIX (default `shopflow`). Idempotent, and waits for a booting broker:
what the compose stack's `kafka-topics` job (and a Kubernetes Job) runs, in any image of
a service on the bus.
"""

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from aiokafka.errors import KafkaError

from shopflow_contracts.topics import PREFIX, Topics
from shopflow_kit.messaging.topic_admin import ensure_topics

BOOTSTRAP_ENV = "SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS"
PREFIX_ENV = "SHOPFLOW_TOPIC_PREFIX"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shopflow_contracts.create_topics")
    parser.add_argument("--partitions", type=int, required=True)
    parser.add_argument("--replication-factor", type=int, default=1)
    parser.add_argument("--min-insync-replicas", type=int, default=None)
    parser.add_argument("--wait-seconds", type=float, default=120)
    args = parser.parse_args(argv)
    bootstrap = os.environ.get(BOOTSTRAP_ENV)
    if not bootstrap:
        parser.error(f"set {BOOTSTRAP_ENV}")
    topics = Topics(os.environ.get(PREFIX_ENV, PREFIX)).all()
    try:
        created = asyncio.run(
            ensure_topics(
                bootstrap,
                topics,
                args.partitions,
                args.replication_factor,
                args.wait_seconds,
                min_insync_replicas=args.min_insync_replicas,
            )
        )
    except KafkaError as error:
        print(f"error: Kafka at {bootstrap}: {error!r}", file=sys.stderr)
        return 1
    print(f"{len(topics)} topics on {bootstrap}; created: {' '.join(created) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
