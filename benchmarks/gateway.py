"""What the gateway costs, which upstream client it should use, and what a breaker decision weighs.

Run against the local stack (`make up` first: it needs inventory and Redis running):

    uv run python benchmarks/gateway.py [--seconds 4] [--concurrency 8 64]

It starts two gateways of its own on free loopback ports, one per upstream client
(`GATEWAY_UPSTREAM_CLIENT=httpx|aiohttp`, rate limits out of the way), and measures in
one run, in about a minute:

1. requests/s, p50 and p99 of `GET /products/{sku}` straight to inventory, then
   `GET /api/v1/products/{sku}` through each gateway (never cached), and their ratio;
2. a Redis round trip (PING, and the rate limit's token bucket script);
3. how many calls reach a failing upstream before the breakers of 1, 2 or 4 gateway
   processes are all open (each process has its own, as in ADR 0006).
"""

import argparse
import asyncio
import logging
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import aiohttp
import httpx
import uvloop
from aiohttp import web
from redis.asyncio import Redis

from shopflow_gateway.rate_limit import TOKEN_BUCKET
from shopflow_gateway.settings import RateLimit
from shopflow_kit import Upstream, UpstreamPolicy, UpstreamUnavailable
from shopflow_stack import config as stack_config

CLIENTS = ("httpx", "aiohttp")
UNLIMITED = RateLimit(burst=10**9, per_second=10**9).model_dump_json()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def gateway_process(client: str, environment: dict[str, str]) -> Iterator[str]:
    """A gateway of its own, on a free port, using `client` for its upstream calls."""
    port = free_port()
    env = {**os.environ, **environment, "GATEWAY_PORT": str(port), "GATEWAY_LOG_LEVEL": "WARNING"}
    env |= {"GATEWAY_UPSTREAM_CLIENT": client, "GATEWAY_RATE_LIMIT": UNLIMITED}
    process = subprocess.Popen([sys.executable, "-m", "shopflow_gateway"], env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


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

    async def failing(request: web.Request) -> web.Response:
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


async def main(seconds: float, concurrencies: list[int]) -> None:
    environment = stack_config.load().environment()
    inventory = environment["SHOPFLOW_INVENTORY_URL"]
    try:
        async with httpx.AsyncClient() as client:
            sku = (await client.get(f"{inventory}/products?limit=1")).json()[0]["sku"]
    except (httpx.TransportError, IndexError, KeyError):
        sys.exit(f"no product at {inventory}: run `make up` first")
    print(f"## GET one product ({sku}), {seconds:.0f} s per row, loopback\n")
    print("| path | concurrency | requests/s | p50 ms | p99 ms | vs direct |")
    print("|---|---|---|---|---|---|")
    with (
        gateway_process("httpx", environment) as via_httpx,
        gateway_process("aiohttp", environment) as via_aiohttp,
    ):
        targets = {
            "direct to inventory": f"{inventory}/products/{sku}",
            "gateway, httpx pool": f"{via_httpx}/api/v1/products/{sku}",
            "gateway, aiohttp pool": f"{via_aiohttp}/api/v1/products/{sku}",
        }
        for concurrency in concurrencies:
            direct = 0.0
            for name, url in targets.items():
                rate, p50, p99 = await measure(url, seconds, concurrency)
                direct = direct or rate
                print(
                    f"| {name} | {concurrency} | {rate:.0f} | {p50:.1f} | {p99:.1f} "
                    f"| {rate / direct:.2f} |"
                )
    print("\n## Redis round trip (what a shared breaker would add to every request)\n")
    print("| call | p50 ms | p99 ms |\n|---|---|---|")
    for name, (p50, p99) in (await redis_round_trips(environment["SHOPFLOW_REDIS_URL"])).items():
        print(f"| {name} | {p50:.3f} | {p99:.3f} |")
    policy = UpstreamPolicy()
    print(
        f"\n## Calls reaching a failing upstream before every breaker is open "
        f"(fail_max {policy.breaker_fail_max}, {policy.retries.attempts} attempts)\n"
    )
    print("| gateway processes | calls the upstream saw |\n|---|---|")
    for processes in (1, 2, 4):
        print(f"| {processes} | {await calls_before_breakers_open(processes)} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="measured time per row")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 64])
    arguments = parser.parse_args()
    logging.getLogger("shopflow_kit.upstream").setLevel(logging.ERROR)  # breakers open on purpose
    uvloop.run(main(arguments.seconds, arguments.concurrency))
