"""Every drill by name, and what each shows: `make chaos drill=NAME`, `make chaos` for all.

The names follow the processes of the local stack: `kill-<process>` for every service,
Kafka, Redis and each PostgreSQL; `freeze-<service>`; `kill-one-<service>` (one of two
replicas); `edge-cut-<edge>` and `edge-latency-<edge>` through toxiproxy; the provider's
own faults; a poison message on every topic; a duplicate burst.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from shopflow_drills.chaos.faults import (
    Crash,
    DuplicateBurst,
    EdgeFault,
    Fault,
    Freeze,
    PoisonEveryTopic,
    ProviderFault,
)

SERVICES = ("order", "inventory", "payment", "notification")
"""The services that consume from the bus and can run several replicas."""
APPS = (*SERVICES, "payment-provider", "gateway")
DATABASES = ("order", "inventory", "payment", "notification", "payment-provider")
EDGE_LATENCY_MS = {"kafka": 200, "postgres-order": 100, "redis": 100, "payment-provider": 1000}
"""Latency drills: each edge, and what it gets added to every round trip."""


@dataclass(frozen=True)
class Drill:
    name: str
    fault: Callable[[], Fault]  # a fresh fault per run: it remembers what it did
    shows: str  # what it proves, one line (docs/chaos.md lists them)
    hold: float = 5.0  # seconds the fault lasts before it is healed


def catalogue() -> dict[str, Drill]:
    drills = [
        *(
            Drill(
                f"kill-{app}",
                partial(Crash, app),
                f"{app} crashes and restarts: nothing accepted is lost or doubled",
            )
            for app in APPS
        ),
        Drill(
            "kill-kafka",
            partial(Crash, "kafka"),
            "the broker crashes: outboxes hold every message until it is back",
        ),
        Drill(
            "kill-redis",
            partial(Crash, "redis"),
            "the gateway's Redis crashes: it fails open, orders keep coming",
        ),
        *(
            Drill(
                f"kill-postgres-{db}",
                partial(Crash, f"postgres-{db}"),
                f"{db}'s database crashes: its consumers wait, nothing is dead-lettered",
            )
            for db in DATABASES
        ),
        *(
            Drill(
                f"freeze-{service}",
                partial(Freeze, service),
                f"{service} stops answering without dying (SIGSTOP): timeouts and breakers",
                hold=10.0,
            )
            for service in SERVICES
        ),
        Drill(
            "provider-outage",
            lambda: ProviderFault(
                "the payment provider refuses every call (503)", {"outage": True}
            ),
            "a third party's outage: the breaker opens, no order is charged twice",
            hold=10.0,
        ),
        Drill(
            "provider-latency",
            lambda: ProviderFault(
                "the payment provider answers after 6 s, beyond payment's timeout",
                {"latency_ms": 6000},
            ),
            "a provider slower than the timeout: retries, then the breaker",
            hold=10.0,
        ),
        Drill(
            "provider-flaky",
            lambda: ProviderFault(
                "the payment provider fails 30% of calls and loses 30% of its answers",
                {"error_rate": 0.3, "fail_after_commit_rate": 0.3},
            ),
            "lost answers are retried with the same idempotency key: never charged twice",
            hold=10.0,
        ),
        *(
            Drill(
                f"edge-cut-{edge}",
                partial(EdgeFault, edge),
                f"nothing gets through to {edge} (a partition, not a refusal)",
            )
            for edge in EDGE_LATENCY_MS
        ),
        *(
            Drill(
                f"edge-latency-{edge}",
                partial(EdgeFault, edge, latency_ms=ms),
                f"{ms} ms more to {edge}: slower, never wrong",
                hold=15.0,
            )
            for edge, ms in EDGE_LATENCY_MS.items()
        ),
        Drill(
            "poison",
            PoisonEveryTopic,
            "records no handler can take are dead-lettered once; every partition moves on",
        ),
        Drill(
            "duplicate-burst",
            DuplicateBurst,
            "everything since the load began delivered again: the inboxes make it a no-op",
        ),
        *(
            Drill(
                f"kill-one-{service}",
                partial(Crash, service, one=True),
                f"one of two {service} replicas crashes: its partitions move, nothing is lost",
                hold=15.0,  # a dead member's session (10 s) times out and its partitions move
            )
            for service in SERVICES
        ),
    ]
    return {drill.name: drill for drill in drills}
