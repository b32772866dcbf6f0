"""What a drill asks of a deployment, whatever runs it: one small interface, three drivers.

A drill names processes as the local stack does (`order`, `kafka`, `postgres-order`,
`redis`, `payment-provider`, `gateway`); a service with replicas has one *instance* per
replica (`order`, `order-2`). Each driver says how its deployment does each thing:

| | local processes | docker compose | Kubernetes (kind/minikube) |
|---|---|---|---|
| kill | SIGKILL by pid | `docker kill -s KILL` | pod force-deleted (a new one starts) |
| stop / start | `make down NAME` / `make up NAME` | `compose stop` / `up` | scale to 0 / back |
| freeze / thaw | SIGSTOP / SIGCONT | `docker pause` / `unpause` | not possible |
| edges | toxiproxy (`SHOPFLOW_TOXIPROXY=1`) | toxiproxy (always) | not possible (no toxiproxy) |

A fault a driver cannot cause raises `UnsupportedError`; the drill is then reported as not run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from shopflow_drills.deployment import Deployment


class UnsupportedError(Exception):
    """This deployment cannot cause the fault; the message says why."""


@dataclass(frozen=True)
class Needs:
    """What a drill needs of the deployment before it starts."""

    replicas: Mapping[str, int] = field(default_factory=dict)  # service → at least this many
    edges: bool = False  # the apps reach Kafka, the databases, Redis, the provider via toxiproxy


class Driver(Protocol):
    name: str  # "local", "compose", "kubernetes"

    async def prepare(self, needs: Needs) -> None:
        """Bring the whole deployment up and healthy, as the drill needs it."""

    def deployment(self) -> Deployment:
        """Where the load generator and the auditor find the shop (never through toxiproxy)."""

    def instances(self, target: str) -> list[str]:
        """The running instances of a process: `order` → [`order`, `order-2`]."""

    async def kill(self, instance: str) -> None:
        """SIGKILL, as a crash: nothing is flushed or handed over; it stays down."""

    async def stop(self, instance: str) -> None:
        """A graceful stop (SIGTERM): consumers leave their group; it stays down."""

    async def start(self, instances: Sequence[str]) -> None:
        """Start them again and return once each is ready."""

    async def freeze(self, instance: str) -> None:
        """SIGSTOP: alive to the kernel, silent to everyone (a gray failure)."""

    async def thaw(self, instance: str) -> None: ...

    def toxiproxy_url(self) -> str:
        """Toxiproxy's API, whose proxies are named after the processes (`kafka`, ...)."""
