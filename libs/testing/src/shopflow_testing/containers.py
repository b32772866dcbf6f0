"""The test infrastructure in containers (SHOPFLOW_TEST_INFRA=containers): the compose
stack's own infrastructure images, configured as docker-compose.yml configures them, each
published on 127.0.0.1 at a port of Docker's choosing.

The images are the offline stand-ins (built first where missing), or the official ones
with SHOPFLOW_IMAGES=official. testcontainers starts the containers and removes them with
their volumes; its reaper (Ryuk) is off, as its image comes from a registry: a killed run
can leave containers labelled `org.testcontainers` behind.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from typing import Any

import asyncpg
import redis.asyncio as redis

from shopflow_docker.compose import compose_service, images_for_tests, infra_images
from shopflow_docker.engine import find_engine
from shopflow_docker.offline import build_offline_images
from shopflow_kit.messaging.topic_admin import ensure_topics
from shopflow_stack.stack import Stack
from shopflow_testing.infra import Infra, PostgresEndpoint
from shopflow_testing.ports import unused_port

READY_TIMEOUT = 180.0
INFRA_IMAGES = ("SHOPFLOW_POSTGRES_IMAGE", "SHOPFLOW_REDIS_IMAGE", "SHOPFLOW_KAFKA_IMAGE")
# The HOST listener of the compose file's Kafka: what clients on this machine use.
KAFKA_HOST_LISTENER_PORT = 29092


@contextmanager
def container_infra() -> Iterator[Infra]:
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    from testcontainers.core.container import DockerContainer

    stack = Stack()
    engine = find_engine()
    images = images_for_tests()
    if images == "offline":
        build_offline_images(engine, stack.config, INFRA_IMAGES)
    chosen = infra_images(images)
    with ExitStack() as running:

        def start(container: DockerContainer) -> DockerContainer:
            return running.enter_context(container.with_kwargs(labels={"org.shopflow": "tests"}))

        servers = {}
        for service, pg in stack.postgres.items():
            role = pg.config.role
            postgres = compose_service(pg.name)
            servers[service] = start(
                DockerContainer(chosen["SHOPFLOW_POSTGRES_IMAGE"])
                .with_env("POSTGRES_USER", role)
                .with_env("POSTGRES_PASSWORD", role)
                .with_env("POSTGRES_DB", pg.config.database)
                # The tests create a database per module and connect from many pools.
                .with_command([*postgres["command"], "-c", "max_connections=300"])
                .with_exposed_ports(5432)
            )
        cache = start(
            DockerContainer(chosen["SHOPFLOW_REDIS_IMAGE"])
            .with_command(compose_service("redis")["command"])
            .with_exposed_ports(6379)
        )
        kafka_port = unused_port()  # Kafka advertises its host port: chosen before it starts
        broker = DockerContainer(chosen["SHOPFLOW_KAFKA_IMAGE"])
        for name, value in _kafka_environment(kafka_port).items():
            broker = broker.with_env(name, value)
        broker = start(broker.with_bind_ports(KAFKA_HOST_LISTENER_PORT, kafka_port))

        postgres = {
            service: PostgresEndpoint(
                container.get_container_host_ip(),
                int(container.get_exposed_port(5432)),
                stack.postgres[service].config.role,
                stack.postgres[service].config.role,
                stack.postgres[service].config.database,
            )
            for service, container in servers.items()
        }
        bootstrap = f"127.0.0.1:{kafka_port}"
        redis_url = f"redis://{cache.get_container_host_ip()}:{cache.get_exposed_port(6379)}"

        async def ready() -> None:
            await asyncio.gather(
                *(_postgres_ready(endpoint) for endpoint in postgres.values()),
                _redis_ready(redis_url),
                ensure_topics(bootstrap, [], partitions=1, wait_seconds=READY_TIMEOUT),
            )

        asyncio.run(ready())

        @asynccontextmanager
        async def kafka_outage() -> AsyncIterator[None]:
            # Stopped, not removed: it starts again with its port binding and its data.
            await asyncio.to_thread(broker.get_wrapped_container().stop)
            try:
                yield
            finally:
                await asyncio.to_thread(broker.get_wrapped_container().start)
                await ensure_topics(bootstrap, [], partitions=1, wait_seconds=READY_TIMEOUT)

        yield Infra(postgres, bootstrap, redis_url, kafka_outage)


def _kafka_environment(host_port: int) -> dict[str, str]:
    """The compose file's Kafka, with its HOST listener advertised at `host_port` and no
    listener that only exists on the compose network."""
    environment: dict[str, Any] = dict(compose_service("kafka")["environment"])
    environment |= {
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@127.0.0.1:9093",
        "KAFKA_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093,HOST://:29092",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://127.0.0.1:9092,HOST://127.0.0.1:{host_port}",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": (
            "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,HOST:PLAINTEXT"
        ),
    }
    return {name: str(value) for name, value in environment.items()}


async def _until(check: Callable[[], Awaitable[object]], what: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            await check()
            return
        except (OSError, asyncpg.PostgresError, redis.RedisError) as error:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{what} not ready in {READY_TIMEOUT:.0f}s: {error!r}"
                ) from error
            await asyncio.sleep(0.5)


async def _postgres_ready(endpoint: PostgresEndpoint) -> None:
    async def login() -> None:
        connection = await asyncpg.connect(endpoint.url(driver="postgresql"), timeout=5)
        await connection.close()

    await _until(login, f"PostgreSQL at {endpoint.host}:{endpoint.port}")


async def _redis_ready(url: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        await _until(client.ping, f"Redis at {url}")
    finally:
        await client.aclose()
