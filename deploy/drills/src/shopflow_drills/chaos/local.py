"""The local stack's driver: signals to the processes `make up` started, by their pid files.

A process killed is started again as `make up NAME` would (migrations first), and ready
when `make status` would call it healthy. `prepare` starts whatever is not running,
with the replicas and the toxiproxy routing a drill needs (apps whose environment that
changes are restarted, as `make up` does).
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import time
from collections.abc import Sequence

from shopflow_drills.chaos.driver import Needs
from shopflow_drills.deployment import Deployment
from shopflow_stack.config import Layout, StackConfig, load
from shopflow_stack.process import port_is_free
from shopflow_stack.stack import Stack

PORT_FREED_WITHIN = 10.0  # seconds: a killed JVM's threads take a moment to let go of its port


class LocalDriver:
    name = "local"

    def __init__(self, config: StackConfig | None = None) -> None:
        self.base = config or load()
        self.stack = Stack(self.base)

    async def prepare(self, needs: Needs) -> None:
        replicas = dict(self.base.replicas)
        for service, wanted in needs.replicas.items():
            replicas[service] = max(replicas.get(service, 1), wanted)
        edges = self.base.toxiproxy.routes_apps or needs.edges
        config = dataclasses.replace(
            self.base,
            replicas=replicas,
            toxiproxy=dataclasses.replace(self.base.toxiproxy, routes_apps=edges),
            layout=Layout(  # what `make status` and `make up` see afterwards
                replicas=",".join(f"{app}={n}" for app, n in replicas.items()),
                toxiproxy="1" if edges else "0",
            ),
        )
        self.stack = Stack(config)
        await self.stack.up()

    def deployment(self) -> Deployment:
        return Deployment.from_environment(self.stack.config.environment())

    def instances(self, target: str) -> list[str]:
        return [process.name for process in self.stack.instances(target)]

    async def kill(self, instance: str) -> None:
        process = self.stack.get(instance)
        await asyncio.to_thread(process.kill, signal.SIGKILL)
        await asyncio.to_thread(_wait_for_port, process.port, PORT_FREED_WITHIN)

    async def stop(self, instance: str) -> None:
        await asyncio.to_thread(self.stack.down, [instance])

    async def start(self, instances: Sequence[str]) -> None:
        await self.stack.up(instances)

    async def freeze(self, instance: str) -> None:
        self.stack.get(instance).kill(signal.SIGSTOP)

    async def thaw(self, instance: str) -> None:
        self.stack.get(instance).kill(signal.SIGCONT)

    def toxiproxy_url(self) -> str:
        return self.stack.toxiproxy.api_url


def _wait_for_port(port: int, within: float) -> None:
    """Until nothing listens on `port` (the kernel tells no one when a socket closes)."""
    deadline = time.monotonic() + within
    while not port_is_free(port) and time.monotonic() < deadline:
        time.sleep(0.1)
