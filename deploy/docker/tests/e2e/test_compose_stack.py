"""The shop in docker compose, for real: the images build, the stack comes up healthy, the
demo's three orders end as they must through the published gateway, and `down -v` leaves
no container, network or volume behind.

Runs on the offline stand-ins (what our machines can have) unless SHOPFLOW_IMAGES=official.
Without a Docker engine the module is skipped, with the reason on one line.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from shopflow_docker.compose import ComposeStack, Images, images_for_tests, python_image
from shopflow_docker.engine import Engine, NoEngineError, find_engine
from shopflow_docker.images import build_images, units
from shopflow_docker.offline import build_offline_images
from shopflow_stack.config import StackConfig, load
from shopflow_stack.demo import ORDERS
from shopflow_stack.process import StackError
from shopflow_stack.shop_client import place_order, settled, token_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(2400)]

try:
    # Looked for once, while collecting: without an engine the module is one skip line.
    ENGINE = find_engine()
except NoEngineError as missing:
    pytest.skip(f"compose tests: {missing}", allow_module_level=True)

EXPECTED = ["CONFIRMED", "CANCELLED (payment_declined)", "CANCELLED (out_of_stock)"]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return ENGINE


@pytest.fixture(scope="module")
def images() -> Images:
    return images_for_tests()


@pytest.fixture(scope="module")
def stack_config() -> Iterator[StackConfig]:
    # The gateway is published on a free port: a local stack may hold the usual one.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOPFLOW_GATEWAY_PORT", str(port))
        yield load()


@pytest.fixture(scope="module")
def compose(
    engine: Engine, images: Images, stack_config: StackConfig, request: pytest.FixtureRequest
) -> Iterator[ComposeStack]:
    report = request.config.pluginmanager.get_plugin("terminalreporter")
    began = time.monotonic()
    if images == "offline":
        try:
            build_offline_images(engine, stack_config)
        except StackError as error:
            pytest.skip(f"compose tests: offline images: {error} (SHOPFLOW_IMAGES=official?)")
    built = build_images(engine, stack_config, python_image(images))
    offset = os.environ.get("SHOPFLOW_PORT_OFFSET", "0")
    stack = ComposeStack(
        engine, stack_config, f"shopflow-test-{offset}", images, image_tag=built.tag
    )
    stack.down(quiet=True)  # what an interrupted run left
    images_seconds = time.monotonic() - began
    try:
        healthy_seconds = stack.up(timeout=420, quiet=True)
    except StackError as error:
        logs = stack.run("logs", "--tail", "40", capture=True, check=False).stdout
        stack.down(quiet=True)
        raise AssertionError(f"{error}\n{logs[-8000:]}") from error
    memory = sum(stack.memory().values()) / 2**20
    if report:
        report.write_line(
            f"compose: images ready in {images_seconds:.0f}s (built: "
            f"{', '.join(built.built) or 'none'}), healthy in {healthy_seconds:.0f}s, "
            f"{memory:.0f} MiB in use"
        )
    yield stack
    stack.down(quiet=True)


def test_every_service_is_healthy_and_every_job_ran_to_completion(compose: ComposeStack):
    listed = compose.run("ps", "--all", "--format", "json", capture=True).stdout
    containers = {c["Service"]: c for c in map(json.loads, listed.splitlines())}
    jobs = {name for name in containers if name.endswith("-migrate") or name == "kafka-topics"}
    assert jobs >= {f"{unit.name}-migrate" for unit in units()} - {"gateway-migrate"}
    for name, container in containers.items():
        if name in jobs:
            assert (container["State"], container["ExitCode"]) == ("exited", 0), name
        else:
            assert (container["State"], container["Health"]) == ("running", "healthy"), name


async def test_the_demo_orders_end_as_they_must_through_the_published_gateway(
    compose: ComposeStack,
):
    async with httpx.AsyncClient(base_url=compose.gateway_url, timeout=10) as gateway:
        token = await token_for(gateway, "alice")
        placed = [await place_order(gateway, token, items, card) for _, items, card in ORDERS]
        outcomes = []
        for order in placed:
            final = await settled(gateway, token, order["id"])
            reason = final["cancellation_reason"]
            outcomes.append(final["status"] + (f" ({reason})" if reason else ""))
    assert outcomes == EXPECTED


def test_the_images_run_unprivileged_with_a_healthcheck(compose: ComposeStack):
    for unit in units():
        image = f"{unit.repository}:{compose.image_tag}"
        inspected = json.loads(compose.engine.docker_run("image", "inspect", image).stdout)[0]
        config = inspected["Config"]
        assert config["User"] == "10001:10001", image
        assert config["Healthcheck"]["Test"] == ["CMD", "shopflow-service", "healthcheck"]
        assert f"{unit.port}/tcp" in config["ExposedPorts"]


def test_down_leaves_no_container_network_or_volume(compose: ComposeStack):
    assert compose.down(quiet=True) == []
