"""Rate limits per client in Redis, and a gateway that keeps serving when Redis is gone."""

import logging

import pytest

from shopflow_gateway.settings import RateLimit
from shopflow_kit import PROBLEM_BASE

from .live import free_port

pytestmark = pytest.mark.integration

TIGHT = RateLimit(burst=3, per_second=0.2)  # a token every 5 s: the burst is all there is


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
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
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
