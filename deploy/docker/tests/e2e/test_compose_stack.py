"""The shop in docker compose, for real: the images build, the stack comes up healthy, the
demo's three orders end as they must through the published gateway, the confirmed one's
trace reaches Jaeger through the collector, Prometheus scrapes every unit, and `down -v`
leaves no container, network or volume behind.

One stack for all of it: the compose file with the observability overlay (three more
containers, which nothing waits for). Runs on the offline stand-ins (what our machines can
have) unless SHOPFLOW_IMAGES=official. Without a Docker engine the module is skipped,
with the reason on one line.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
import yaml

from shopflow_docker.compose import ComposeStack, Images, images_for_tests, python_image
from shopflow_docker.engine import Engine, NoEngineError, find_engine
from shopflow_docker.images import build_images, units
from shopflow_docker.offline import build_offline_images
from shopflow_drills.chaos import Timing, catalogue, run_drill
from shopflow_drills.chaos.compose import ComposeDriver
from shopflow_stack.config import REPO_ROOT, StackConfig, env_name, load
from shopflow_stack.demo import ORDERS
from shopflow_stack.process import StackError
from shopflow_stack.shop_client import place_order, settled, token_for
from shopflow_stack.traces import Span, find_order_traces, spans_of
from shopflow_testing.ports import unused_port
from shopflow_testing.terminal import say

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(2400)]

try:
    # Looked for once, while collecting: without an engine the module is one skip line.
    ENGINE = find_engine()
except NoEngineError as missing:
    pytest.skip(f"compose tests: {missing}", allow_module_level=True)

EXPECTED = ["CONFIRMED", "CANCELLED (payment_declined)", "CANCELLED (out_of_stock)"]
UNITS = {unit.name for unit in units()}
PUBLISHED = [
    *UNITS, "jaeger", "prometheus", "kafka", "redis", "toxiproxy",
    *(f"postgres-{unit}" for unit in UNITS - {"gateway"}),
]  # fmt: skip
SETTLE_SECONDS = 120  # a trace's export and a first scrape take seconds; a loaded machine more
Json = dict[str, Any]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return ENGINE


@pytest.fixture(scope="module")
def images() -> Images:
    return images_for_tests()


@pytest.fixture(scope="module")
def stack_config() -> Iterator[StackConfig]:
    # What is published gets a free port: a local stack may hold the usual ones. The expose
    # overlay publishes the databases, Kafka and toxiproxy too, for the drill's auditor.
    with pytest.MonkeyPatch.context() as patch:
        for published in PUBLISHED:
            patch.setenv(f"SHOPFLOW_{env_name(published)}_PORT", str(unused_port()))
        yield load()


@pytest.fixture(scope="module")
def compose(
    engine: Engine, images: Images, stack_config: StackConfig, request: pytest.FixtureRequest
) -> Iterator[ComposeStack]:
    began = time.monotonic()
    offset = os.environ.get("SHOPFLOW_PORT_OFFSET", "0")
    stack = ComposeStack(
        engine,
        stack_config,
        f"shopflow-test-{offset}",
        images,
        overlays=("observability", "expose"),
    )
    if images == "offline":
        try:
            build_offline_images(engine, stack_config, stack.image_variables())
        except StackError as error:
            pytest.skip(f"compose tests: offline images: {error} (SHOPFLOW_IMAGES=official?)")
    built = build_images(engine, stack_config, python_image(images))
    stack = replace(stack, image_tag=built.tag)
    stack.down(quiet=True)  # what an interrupted run left
    images_seconds = time.monotonic() - began
    try:
        healthy_seconds = stack.up(timeout=600, quiet=True)
    except StackError as error:
        logs = stack.run("logs", "--tail", "40", capture=True, check=False).stdout
        stack.down(quiet=True)
        raise AssertionError(f"{error}\n{logs[-8000:]}") from error
    memory = sum(stack.memory().values()) / 2**20
    say(
        request.config,
        f"compose: images ready in {images_seconds:.0f}s (built: "
        f"{', '.join(built.built) or 'none'}), healthy in {healthy_seconds:.0f}s, "
        f"{memory:.0f} MiB in use",
    )
    yield stack
    # `down -v` leaves no container, network or volume: checked here, after every test of the
    # module (they run in random order; a test that took the stack down would break the rest).
    left = stack.down(quiet=True)
    assert left == [], f"docker compose down left {left}"


def test_every_service_is_healthy_and_every_job_ran_to_completion(compose: ComposeStack):
    listed = compose.run("ps", "--all", "--format", "json", capture=True).stdout
    containers = {c["Service"]: c for c in map(json.loads, listed.splitlines())}
    jobs = {name for name in containers if name.endswith("-migrate") or name == "kafka-topics"}
    assert jobs >= {f"{unit.name}-migrate" for unit in units()} - {"gateway-migrate"}
    configured = json.loads(compose.run("config", "--format", "json", capture=True).stdout)
    for name, container in containers.items():
        if name in jobs:
            assert (container["State"], container["ExitCode"]) == ("exited", 0), name
        elif "healthcheck" in configured["services"][name]:
            assert (container["State"], container["Health"]) == ("running", "healthy"), name
        else:  # the collector: its official image has nothing to run a check with
            assert (container["State"], container["Health"]) == ("running", ""), name


@pytest.fixture(scope="module")
def demo_orders(compose: ComposeStack) -> list[Json]:
    """The demo's orders, placed through the published gateway, once each has settled."""

    async def place() -> list[Json]:
        async with httpx.AsyncClient(base_url=compose.gateway_url, timeout=10) as gateway:
            token = await token_for(gateway, "alice")
            placed = [await place_order(gateway, token, items, card) for _, items, card in ORDERS]
            return [await settled(gateway, token, order["id"]) for order in placed]

    return asyncio.run(place())


def test_the_demo_orders_end_as_they_must_through_the_published_gateway(demo_orders):
    outcomes = [
        order["status"]
        + (f" ({order['cancellation_reason']})" if order["cancellation_reason"] else "")
        for order in demo_orders
    ]
    assert outcomes == EXPECTED


async def test_an_orders_trace_reaches_jaeger_through_the_collector(compose, demo_orders):
    [confirmed] = [order for order in demo_orders if order["status"] == "CONFIRMED"]

    async def whole_trace() -> list[Span]:
        # The notification service's span is the last to be exported.
        while True:
            traces = await asyncio.to_thread(find_order_traces, compose.jaeger_url, confirmed["id"])
            spans = spans_of(traces[0]) if traces else []
            if {span.service for span in spans} >= UNITS:
                return spans
            await asyncio.sleep(0.5)

    try:
        async with asyncio.timeout(SETTLE_SECONDS):
            spans = await whole_trace()
    except TimeoutError:
        logs = compose.run("logs", "--tail", "20", "otel-collector", "jaeger", capture=True)
        raise AssertionError(
            f"no whole trace of {confirmed['id']} in Jaeger:\n{logs.stdout}"
        ) from None
    [root] = [span for span in spans if span.parent_id is None]
    assert (root.service, root.operation) == ("gateway", "POST /api/v1/orders")


async def test_the_console_draws_an_orders_trace_and_links_what_runs(compose, demo_orders):
    [confirmed] = [order for order in demo_orders if order["status"] == "CONFIRMED"]

    async def drawn(gateway: httpx.AsyncClient, token: dict[str, str]) -> Json:
        """The order's trace as the console draws it, once the gateway's span is in it:
        each process exports on its own timer, so the services' spans may come first."""
        while True:
            answer = await gateway.get(f"/api/v1/orders/{confirmed['id']}/trace", headers=token)
            assert answer.status_code in (200, 404), answer.text
            if answer.status_code == 200 and "gateway" in answer.json()["services"]:
                return dict(answer.json())
            await asyncio.sleep(0.5)

    async with httpx.AsyncClient(base_url=compose.gateway_url, timeout=10) as gateway:
        features = (await gateway.get("/api/v1/console")).json()
        token = await token_for(gateway, "alice")
        async with asyncio.timeout(SETTLE_SECONDS):
            trace = await drawn(gateway, token)
        for url in features["dashboards"].values():
            assert (await gateway.get(url)).status_code == 200, url

    assert (features["traces"], features["provider_faults"]) == (True, True)
    root = trace["rows"][0]
    assert (root["service"], root["operation"], root["depth"]) == (
        "gateway",
        "POST /api/v1/orders",
        0,
    )
    assert len(features["dashboards"]) == 3


async def test_prometheus_scrapes_every_unit_and_loads_the_rules(compose, demo_orders):
    jobs = {unit.name for unit in units()} | {"otel-collector", "jaeger", "prometheus"}
    async with httpx.AsyncClient(base_url=compose.prometheus_url, timeout=10) as prometheus:

        async def health() -> dict[str, str]:
            response = await prometheus.get("/api/v1/targets", params={"state": "active"})
            targets = response.json()["data"]["activeTargets"]
            return {target["labels"]["job"]: target["health"] for target in targets}

        # A target is scraped every 15 s: wait for each one's first answer after the start.
        seen: dict[str, str] = {}
        try:
            async with asyncio.timeout(SETTLE_SECONDS):
                while True:
                    seen = await health()
                    if seen == dict.fromkeys(jobs, "up"):
                        break
                    await asyncio.sleep(1)
        except TimeoutError:
            raise AssertionError(f"targets not all up: {seen}") from None
        rules = (await prometheus.get("/api/v1/rules")).json()["data"]["groups"]
    assert {group["name"] for group in rules} == rule_groups()


def rule_groups() -> set[str]:
    """The groups of observability/prometheus/rules, which compose mounts."""
    files = (REPO_ROOT / "observability/prometheus/rules").glob("*.yml")
    return {group["name"] for path in files for group in yaml.safe_load(path.read_text())["groups"]}


def test_the_images_run_unprivileged_with_a_healthcheck(compose: ComposeStack):
    for unit in units():
        image = f"{unit.repository}:{compose.image_tag}"
        inspected = json.loads(compose.engine.docker_run("image", "inspect", image).stdout)[0]
        config = inspected["Config"]
        assert config["User"] == "10001:10001", image
        assert config["Healthcheck"]["Test"] == ["CMD", "shopflow-service", "healthcheck"]
        assert f"{unit.port}/tcp" in config["ExposedPorts"]


def test_a_drill_on_compose_kill_9_of_order_under_load_loses_nothing(compose):
    """`make chaos driver=compose drill=kill-order`, short: 20 orders at 2/s, the order
    container killed -9 three seconds in, started again 5 s later, every invariant audited
    through the published databases, Kafka and the clients' record."""
    timing = Timing(rate=2.0, duration=10.0, fault_at=3.0, settle=240.0, quiet_timeout=180.0)
    report = asyncio.run(run_drill(ComposeDriver(compose), catalogue()["kill-order"], timing))
    print(report.text())

    assert report.placed > 0
    assert report.lost == 0
    assert report.recovered_after is not None, report.text()
    assert report.passed, report.text()
