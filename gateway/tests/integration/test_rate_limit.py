"""Rate limits per client in Redis: refilled with time, taken atomically by any number of
gateway processes, and a gateway that keeps serving when Redis is gone.

Time is the bucket's own: the script reads Redis's clock, so that every gateway process
agrees on it. A test moves that clock for one bucket by moving its last use back
(`age_bucket`), instead of sleeping while tokens drip in.
"""

import asyncio
import json
import logging
import os
import sys
from collections import Counter
from contextlib import asynccontextmanager

import httpx
import pytest
import redis.asyncio as redis
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from shopflow_gateway.rate_limit import client_key
from shopflow_gateway.settings import RateLimit
from shopflow_gateway.tokens import TokenAuthority
from shopflow_gateway.users import CUSTOMER_ROLE
from shopflow_kit import PROBLEM_BASE, Caller
from shopflow_testing.ports import unused_port
from shopflow_testing.servers import running_server

from .conftest import TEST_SECRET

pytestmark = pytest.mark.integration

TIGHT = RateLimit(burst=3, per_second=0.2)  # a token every 5 s: the burst is all there is
SLOW = RateLimit(burst=2, per_second=0.01)  # a token every 100 s


async def age_bucket(redis_url: str, customer_id: str, seconds: float) -> None:
    """Move the bucket's last use `seconds` back: to the script, that much time has passed."""
    client = redis.Redis.from_url(redis_url)
    try:
        key = client_key(customer_id, None)
        assert await client.exists(key), "no bucket to age"
        await client.hincrbyfloat(key, "at", -seconds * 1000)
    finally:
        await client.aclose()


async def test_a_burst_beyond_the_limit_is_a_429_with_retry_after(gateway_for):
    gateway = await gateway_for(rate_limit=TIGHT)
    alice = gateway.token("alice")

    answers = [await gateway.client.get("/api/v1/orders", headers=alice) for _ in range(5)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    refused = answers[-1]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == PROBLEM_BASE + "rate-limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 5
    assert gateway.metric("gateway_rate_limited_total") == 2


async def test_each_client_has_its_own_bucket(gateway_for):
    gateway = await gateway_for(rate_limit=TIGHT)
    for _ in range(3):
        await gateway.client.get("/api/v1/orders", headers=gateway.token("alice"))

    bob = await gateway.client.get("/api/v1/orders", headers=gateway.token("bob"))
    anonymous = await gateway.client.get("/api/v1/products/MUG-001")  # by address

    assert bob.status_code == anonymous.status_code == 200
    alice = await gateway.client.get("/api/v1/orders", headers=gateway.token("alice"))
    assert alice.status_code == 429


async def test_without_redis_the_gateway_serves_unlimited_and_counts_it(gateway_for, caplog):
    closed = f"redis://127.0.0.1:{unused_port()}/0"  # nothing listens there
    gateway = await gateway_for(redis_url=closed, rate_limit=TIGHT)

    with caplog.at_level(logging.INFO, logger="shopflow_gateway.redis_link"):
        reads = [await gateway.client.get("/api/v1/products/MUG-001") for _ in range(6)]
        listed = await gateway.client.get("/api/v1/products")
        ready = await gateway.client.get("/readyz")

    assert [r.status_code for r in reads] == [200] * 6  # the burst of 3 is not enforced
    assert listed.status_code == 200
    assert listed.headers["x-cache"] == "MISS"
    assert ready.status_code == 200
    assert gateway.metric("gateway_redis_available") == 0
    assert gateway.metric("gateway_redis_fail_open_total", feature="rate_limit") == 7
    assert gateway.metric("gateway_redis_fail_open_total", feature="cache") == 2  # get, put
    warnings = [r for r in caplog.records if r.name == "shopflow_gateway.redis_link"]
    assert len(warnings) == 1  # once per transition, not per request
    assert "redis unreachable" in warnings[0].getMessage()


async def test_tokens_come_back_with_time_one_per_interval_up_to_the_burst(gateway_for, redis_url):
    gateway = await gateway_for(rate_limit=SLOW)
    alice = gateway.token("alice")

    async def answers(calls: int) -> list[int]:
        return [
            (await gateway.client.get("/api/v1/orders", headers=alice)).status_code
            for _ in range(calls)
        ]

    assert await answers(3) == [200, 200, 429]
    await age_bucket(redis_url, "alice", 95)  # 0.95 of a token: not one yet
    refused = await gateway.client.get("/api/v1/orders", headers=alice)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 5  # what is left of the 100 s

    await age_bucket(redis_url, "alice", 5)  # a whole token
    assert await answers(2) == [200, 429]

    await age_bucket(redis_url, "alice", 3600)  # an hour refills the burst, no more
    assert await answers(3) == [200, 200, 429]


@asynccontextmanager
async def gateway_process(redis_url: str, upstream_url: str, limit: RateLimit):
    """`python -m shopflow_gateway` as the stack runs it, on a port of its own."""
    port = unused_port()
    environment = {
        **os.environ,
        "SHOPFLOW_ENVIRONMENT": "test",
        "GATEWAY_HOST": "127.0.0.1",
        "GATEWAY_PORT": str(port),
        "GATEWAY_JWT_SECRET": TEST_SECRET,
        "GATEWAY_RATE_LIMIT": json.dumps(limit.model_dump()),
        # Patient: a Redis too slow to answer on a busy machine would let calls through.
        "GATEWAY_REDIS_TIMEOUT_SECONDS": "10",
        "SHOPFLOW_REDIS_URL": redis_url,
        **{f"SHOPFLOW_{name}_URL": upstream_url for name in SERVICES},
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "shopflow_gateway", env=environment
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            async with asyncio.timeout(60):
                while True:
                    assert process.returncode is None, "the gateway exited while starting"
                    try:
                        if (await client.get("/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
            yield client
    finally:
        process.terminate()
        await process.wait()


def fail_open(exposition: str) -> float:
    """How many calls a gateway let through without Redis, from its /metrics text."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == "gateway_redis_fail_open_total"
    )


SERVICES = ("ORDER", "INVENTORY", "PAYMENT", "NOTIFICATION")


def counting_service(calls: list[str]) -> FastAPI:
    app = FastAPI()

    @app.get("/{path:path}")
    async def answer(path: str) -> list[str]:
        calls.append(f"/{path}")
        return []

    return app


async def test_two_gateway_processes_share_one_bucket_and_never_overspend_it(redis_url):
    """Concurrent calls of one customer through two gateways: exactly the burst gets through."""
    limit = RateLimit(burst=10, per_second=0.001)
    tokens = TokenAuthority(
        TEST_SECRET, issuer="shopflow-gateway", audience="shopflow-api", ttl_seconds=900
    )
    issued = tokens.issue(Caller("alice", frozenset({CUSTOMER_ROLE})))
    alice = {"Authorization": f"Bearer {issued.access_token}"}
    calls: list[str] = []
    async with (
        running_server(counting_service(calls)) as service_url,
        gateway_process(redis_url, service_url, limit) as first,
        gateway_process(redis_url, service_url, limit) as second,
    ):
        answers = await asyncio.gather(
            *(gateway.get("/api/v1/orders", headers=alice) for gateway in [first, second] * 20)
        )
        metrics = [(await gateway.get("/metrics")).text for gateway in (first, second)]

    assert sum(map(fail_open, metrics)) == 0, "Redis answered every call"
    assert Counter(answer.status_code for answer in answers) == {200: 10, 429: 30}
    assert len(calls) == 10
