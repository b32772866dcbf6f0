"""What the gateway costs, which upstream client it should use, and what a breaker decision
weighs: the figures behind ADR 0006 (`make bench only=upstream-clients`; not in the default run).

It starts two gateways of its own, one per upstream client (`GATEWAY_UPSTREAM_CLIENT=
httpx|aiohttp`, rate limits out of the way), and measures:

1. requests/s, p50 and p99 of `GET /products/{sku}` straight to inventory, then
   `GET /api/v1/products/{sku}` through each gateway (never cached), and their ratio;
2. a Redis round trip (PING, and the rate limit's token bucket script);
3. how many calls reach a failing upstream before the breakers of 1, 2 or 4 gateway
   processes are all open (each process has its own, as in ADR 0006).
"""

import asyncio
import logging
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import httpx
from aiohttp import web
from redis.asyncio import Redis

from shopflow_benchmarks.harness import (
    UNLIMITED,
    Bench,
    free_port,
    gateway_environment,
    server_process,
)
from shopflow_gateway.rate_limit import TOKEN_BUCKET
from shopflow_kit import Upstream, UpstreamPolicy, UpstreamUnavailable


@asynccontextmanager
async def gateway_with(client: str, bench: Bench) -> AsyncIterator[str]:
    """A gateway of its own, on a free port, using `client` for its upstream calls."""
    port = free_port()
    environment = gateway_environment(
        bench.stack,
        port,
        GATEWAY_UPSTREAM_CLIENT=client,
        GATEWAY_RATE_LIMIT=UNLIMITED,
        GATEWAY_LOG_LEVEL="WARNING",
    )
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "shopflow_gateway"]
    log = bench.log_dir / f"bench-gateway-{client}.log"
    async with server_process(argv, f"{url}/readyz", log, environment):
        yield url


async def measure(url: str, seconds: float, concurrency: int) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) of GETs on `url` from `concurrency` callers."""
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def caller(until: float, record: bool) -> None:
            while (started := time.perf_counter()) < until:
                async with session.get(url) as response:
                    await response.read()
                    assert response.status == 200, response.status
                if record:
                    latencies.append(time.perf_counter() - started)

        for record, duration in ((False, 1.0), (True, seconds)):  # warm the pools first
            until = time.perf_counter() + duration
            await asyncio.gather(*(caller(until, record) for _ in range(concurrency)))
    cuts = statistics.quantiles(latencies, n=100)
    return len(latencies) / seconds, cuts[49] * 1000, cuts[98] * 1000


async def redis_round_trips(url: str, count: int = 2000) -> dict[str, tuple[float, float]]:
    """p50 and p99 in ms of a PING and of one token bucket take."""
    client = Redis.from_url(url)
    bucket = client.register_script(TOKEN_BUCKET)
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "PING": client.ping,
        "token bucket (EVALSHA)": lambda: bucket(["bench:bucket"], [10**9, 10**9]),
    }
    figures = {}
    for name, call in calls.items():
        times = []
        for _ in range(count):
            started = time.perf_counter()
            await call()
            times.append((time.perf_counter() - started) * 1000)
        cuts = statistics.quantiles(times, n=100)
        figures[name] = (cuts[49], cuts[98])
    await client.aclose()
    return figures


async def calls_before_breakers_open(processes: int) -> int:
    """Calls a failing upstream (503 to all) sees before `processes` breakers are all open."""
    seen = 0

    async def failing(_request: web.Request) -> web.Response:
        nonlocal seen
        seen += 1
        return web.json_response({"status": 503}, status=503)

    app = web.Application()
    app.router.add_get("/products/{sku}", failing)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    upstreams = [Upstream("inventory", f"http://127.0.0.1:{port}") for _ in range(processes)]

    async def until_open(upstream: Upstream) -> None:
        while True:
            try:
                await upstream.request("GET", "/products/MUG-001")
            except UpstreamUnavailable as unavailable:
                if unavailable.reason == "circuit open":
                    return

    await asyncio.gather(*(until_open(upstream) for upstream in upstreams))
    for upstream in upstreams:
        await upstream.aclose()
    await runner.cleanup()
    return seen


async def upstream_clients(bench: Bench) -> dict[str, Any]:
    inventory = bench.url("inventory")
    async with httpx.AsyncClient() as client:
        sku = (await client.get(f"{inventory}/products?limit=1")).json()[0]["sku"]
    seconds = bench.sizes.read_seconds
    rows = []
    async with (
        gateway_with("httpx", bench) as via_httpx,
        gateway_with("aiohttp", bench) as via_aiohttp,
    ):
        targets = {
            "direct to inventory": f"{inventory}/products/{sku}",
            "gateway, httpx pool": f"{via_httpx}/api/v1/products/{sku}",
            "gateway, aiohttp pool": f"{via_aiohttp}/api/v1/products/{sku}",
        }
        for concurrency in bench.sizes.read_connections:
            direct = 0.0
            for name, url in targets.items():
                rate, p50, p99 = await measure(url, seconds, concurrency)
                direct = direct or rate
                rows.append(
                    {
                        "path": name,
                        "concurrency": concurrency,
                        "requests_per_second": rate,
                        "p50_ms": p50,
                        "p99_ms": p99,
                        "vs_direct": rate / direct,
                    }
                )
    redis_url = bench.stack.config.environment()["SHOPFLOW_REDIS_URL"]
    policy = UpstreamPolicy()
    logging.getLogger("shopflow_kit.upstream").setLevel(logging.ERROR)  # breakers open on purpose
    return {
        "sku": sku,
        "reads": rows,
        "redis_p50_p99_ms": await redis_round_trips(redis_url),
        "breaker": {"fail_max": policy.breaker_fail_max, "attempts": policy.retries.attempts},
        "calls_before_breakers_open": {
            processes: await calls_before_breakers_open(processes) for processes in (1, 2, 4)
        },
    }
