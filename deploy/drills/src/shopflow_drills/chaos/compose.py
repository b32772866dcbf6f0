"""The compose stack's driver: `docker kill`, `pause`, `compose start`, toxiproxy's API.

It drives the stack `make compose-up overlays=expose` runs (that overlay publishes every
database, Kafka and toxiproxy's API at the local stack's ports, where the load generator
and the auditor find them, as `make -s env` prints them). Its services already reach
Kafka, the databases, Redis and the provider through toxiproxy, so edge drills need
nothing more. It runs one container per service: drills that need replicas say so.

A container killed with SIGKILL is restarted by its restart policy (`unless-stopped`);
`start` makes sure of it and waits until compose calls it healthy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

from shopflow_docker.compose import ComposeStack, images_choice, overlays_choice, python_image
from shopflow_docker.engine import ensure_engine
from shopflow_docker.images import build_images
from shopflow_docker.offline import build_offline_images
from shopflow_drills.chaos.driver import Needs, UnsupportedError
from shopflow_drills.deployment import Deployment
from shopflow_stack.config import load

HEALTHY_WITHIN = 300  # seconds: a JVM's start on a busy machine


class ComposeDriver:
    name = "compose"

    def __init__(self, compose: ComposeStack | None = None) -> None:
        self.given = compose is not None  # a stack given (a test's) is up, on its images
        self.build = not self.given
        if compose is None:
            overlays = tuple(dict.fromkeys(("expose", *overlays_choice())))
            compose = ComposeStack(
                ensure_engine(), load(), images=images_choice(), overlays=overlays
            )
        self.compose = compose

    async def prepare(self, needs: Needs) -> None:
        """As `make compose-up overlays=expose`: the images of this code (built if they
        changed), the stack up and healthy. A stack given is left as it is: `up` would run
        every migration job and the topics job again (a quarter of a short drill)."""
        if any(count > 1 for count in needs.replicas.values()):
            raise UnsupportedError("the compose stack runs one container per service")
        if not self.given:
            await asyncio.to_thread(self._images)
            await asyncio.to_thread(self.compose.up, HEALTHY_WITHIN, True)

    def _images(self) -> None:
        compose = self.compose
        if not self.build:
            return
        if compose.images == "offline":
            build_offline_images(compose.engine, compose.stack, compose.image_variables())
        built = build_images(compose.engine, compose.stack, python_image(compose.images))
        self.compose = replace(compose, image_tag=built.tag)
        self.build = False  # once per run: later drills find them built

    def deployment(self) -> Deployment:
        environment = self.compose.stack.environment()
        environment["SHOPFLOW_GATEWAY_URL"] = self.compose.gateway_url
        return Deployment.from_environment(environment)

    def instances(self, target: str) -> list[str]:
        return [target]

    async def kill(self, instance: str) -> None:
        await self._compose("kill", "--signal", "KILL", instance)

    async def stop(self, instance: str) -> None:
        await self._compose("stop", instance)

    async def start(self, instances: Sequence[str]) -> None:
        await self._compose(
            "up", "--detach", "--wait", "--wait-timeout", str(HEALTHY_WITHIN),
            "--no-deps", "--no-build", "--pull", "never", *instances,
        )  # fmt: skip

    async def freeze(self, instance: str) -> None:
        await self._compose("pause", instance)

    async def thaw(self, instance: str) -> None:
        await self._compose("unpause", instance)

    def toxiproxy_url(self) -> str:
        return f"http://127.0.0.1:{self.compose.environment()['SHOPFLOW_TOXIPROXY_PORT']}"

    async def _compose(self, *args: str) -> None:
        await asyncio.to_thread(self.compose.run, *args, capture=True)
