"""Upstream against a real HTTP server on loopback that fails, hangs, or is not there.
Breakers cool down on a clock the test moves."""

import asyncio
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI, Response

from shopflow_kit.retry_budget import RetryPolicy
from shopflow_kit.upstream import Upstream, UpstreamPolicy, UpstreamUnavailable
from shopflow_testing.clock import ManualClock
from shopflow_testing.ports import unused_port
from shopflow_testing.servers import running_server

pytestmark = pytest.mark.integration

NO_BACKOFF = RetryPolicy(backoff_seconds=0, max_backoff_seconds=0)


@dataclass
class InventoryStub:
    """What the inventory server does, flipped by the test, and how many calls it saw."""

    behaviour: str = "healthy"  # or "failing" (503), or "hanging" (until the test ends)
    calls: int = 0
    url: str = ""
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/stock/{sku}")
        async def stock(sku: str) -> Response:
            self.calls += 1
            if self.behaviour == "hanging":
                await self.released.wait()
            status = 503 if self.behaviour == "failing" else 200
            return Response(f'{{"sku": "{sku}", "available": 3}}', status)

        return app


@pytest.fixture
async def inventory():
    stub = InventoryStub()
    async with running_server(stub.app()) as url:
        stub.url = url
        yield stub
        stub.released.set()


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
async def upstream_for(clock):
    """A factory of upstreams on `clock`; every one is closed after the test."""
    opened = []

    def create(url, **policy):
        policy = UpstreamPolicy(**{"retries": NO_BACKOFF, **policy})
        upstream = Upstream("inventory", url, policy, clock=clock)
        opened.append(upstream)
        return upstream

    yield create
    for upstream in opened:
        await upstream.aclose()


async def until_trial(upstream: Upstream, clock: ManualClock) -> None:
    """Moves the clock to when the open breaker lets a trial call through (its Retry-After)."""
    with pytest.raises(UpstreamUnavailable, match="circuit open") as raised:
        await upstream.request("GET", "/stock/A-1")
    clock.advance(raised.value.retry_after_seconds)


async def test_breaker_stops_calling_a_failing_upstream_and_recovers_with_it(
    inventory, upstream_for, clock
):
    inventory.behaviour = "failing"
    upstream = upstream_for(inventory.url, breaker_fail_max=3, breaker_reset_seconds=5)
    for _ in range(3):
        with pytest.raises(UpstreamUnavailable, match="answered 503"):
            await upstream.request("GET", "/stock/A-1")
    assert inventory.calls == 3 * NO_BACKOFF.attempts

    for _ in range(20):
        with pytest.raises(UpstreamUnavailable, match="circuit open"):
            await upstream.request("GET", "/stock/A-1")
    assert inventory.calls == 3 * NO_BACKOFF.attempts  # fail fast: nothing reached the server

    inventory.behaviour = "healthy"
    await until_trial(upstream, clock)
    for _ in range(3):
        assert (await upstream.request("GET", "/stock/A-1")).json()["available"] == 3
    assert inventory.calls == 3 * NO_BACKOFF.attempts + 3


async def test_hanging_upstream_times_out_after_bounded_attempts(inventory, upstream_for):
    inventory.behaviour = "hanging"
    retries = RetryPolicy(attempts=2, backoff_seconds=0)
    upstream = upstream_for(inventory.url, timeout_seconds=0.2, retries=retries)

    for _ in range(3):
        with pytest.raises(UpstreamUnavailable, match="ReadTimeout"):
            await upstream.request("GET", "/stock/A-1")

    assert inventory.calls == 2 * 3  # attempts × requests, not one more


async def test_retry_budget_bounds_what_a_failing_upstream_sees(inventory, upstream_for):
    inventory.behaviour = "failing"
    retries = RetryPolicy(backoff_seconds=0, budget_ratio=0.1, min_retries_per_window=4)
    # 20 connections opened at once: a busy machine must not turn one into a connect timeout
    # that never reaches the server, which is not what this counts.
    upstream = upstream_for(
        inventory.url, retries=retries, breaker_fail_max=100, connect_timeout_seconds=30
    )

    outcomes = await asyncio.gather(
        *(upstream.request("GET", "/stock/A-1") for _ in range(20)), return_exceptions=True
    )

    assert all(isinstance(outcome, UpstreamUnavailable) for outcome in outcomes)
    assert inventory.calls == 20 + 4  # not 20 × 3 attempts: the budget allows 4 retries


async def test_killed_upstream_is_unavailable_then_short_circuited(upstream_for):
    stub = InventoryStub()
    async with running_server(stub.app()) as url:
        upstream = upstream_for(url, breaker_fail_max=2)
        assert (await upstream.request("GET", "/stock/A-1")).status_code == 200

    for _ in range(2):
        with pytest.raises(UpstreamUnavailable):  # refused, or a pooled connection found closed
            await upstream.request("GET", "/stock/A-1")
    with pytest.raises(UpstreamUnavailable, match="circuit open") as raised:
        await upstream.request("GET", "/stock/A-1")
    assert raised.value.retry_after_seconds == UpstreamPolicy().breaker_reset_seconds


async def test_connection_refused_is_unavailable(upstream_for):
    upstream = upstream_for(f"http://127.0.0.1:{unused_port()}")

    with pytest.raises(UpstreamUnavailable, match="ConnectError") as raised:
        await upstream.request("GET", "/stock/A-1")

    assert raised.value.upstream_name == "inventory"
    assert raised.value.status == 503


async def test_a_call_beyond_the_connection_cap_waits_for_a_free_one_then_gives_up(
    inventory, upstream_for
):
    upstream = upstream_for(
        inventory.url, max_connections=1, timeout_seconds=0.3, retries=RetryPolicy(attempts=1)
    )
    holding = await upstream.stream(upstream.build_request("GET", "/stock/A-1"))  # body unread

    with pytest.raises(UpstreamUnavailable, match="PoolTimeout"):
        await upstream.request("GET", "/stock/A-2")

    assert inventory.calls == 1, "the server never saw the call beyond the cap"
    await holding.aclose()
    assert (await upstream.request("GET", "/stock/A-2")).json()["sku"] == "A-2"
