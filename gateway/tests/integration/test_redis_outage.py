"""Redis dying under a running gateway and coming back: calls go through meanwhile, and the
limits return with the server, their Lua script loaded again into its empty script cache."""

import asyncio

import pytest

from shopflow_gateway.settings import RateLimit

pytestmark = pytest.mark.integration

TIGHT = RateLimit(burst=3, per_second=0.01)


async def statuses(gateway, headers, calls: int) -> list[int]:
    return [
        (await gateway.client.get("/api/v1/orders", headers=headers)).status_code
        for _ in range(calls)
    ]


async def limited_again(gateway, headers) -> None:
    """Wait until the gateway uses Redis again (it rests a while after a failure)."""
    try:
        async with asyncio.timeout(30):
            while gateway.metric("gateway_redis_available") != 1:
                await gateway.client.get("/api/v1/products/MUG-001", headers=headers)
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail("the gateway never used Redis again after it came back")


async def test_redis_killed_mid_run_fails_open_and_its_return_brings_the_limits_back(
    gateway_for, own_redis
):
    gateway = await gateway_for(
        redis_url=own_redis.url(), rate_limit=TIGHT, redis_retry_seconds=0.1
    )
    alice, bob = gateway.token("alice"), gateway.token("bob")
    assert await statuses(gateway, alice, 4) == [200, 200, 200, 429]

    own_redis.crash()
    try:
        while_down = await statuses(gateway, alice, 5)
        assert gateway.metric("gateway_redis_available") == 0
    finally:
        await own_redis.up()  # the same port, nothing in it: no bucket, no script
    await limited_again(gateway, bob)

    assert while_down == [200] * 5  # failed open: served, not limited
    assert gateway.metric("gateway_redis_fail_open_total", feature="rate_limit") >= 5
    # A fresh bucket, taken by the script redis-py loaded again after NOSCRIPT.
    assert await statuses(gateway, alice, 4) == [200, 200, 200, 429]
