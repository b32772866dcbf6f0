"""Failing open: what the gateway does when a Redis call fails, without a Redis."""

import logging

import pytest
from prometheus_client import CollectorRegistry
from redis.exceptions import ConnectionError as RedisConnectionError

from shopflow_gateway.metrics import GatewayMetrics
from shopflow_gateway.redis_link import RedisLink

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def link():
    registry = CollectorRegistry()
    clock = Clock()
    link = RedisLink(
        "redis://127.0.0.1:1/0",  # never dialled: the calls below do not touch the client
        GatewayMetrics(registry),
        timeout_seconds=0.1,
        retry_seconds=1.0,
        clock=clock,
    )
    return link, clock, registry


async def refused(client):
    raise RedisConnectionError("refused")


async def answered(client):
    return "ok"


def fail_open_count(registry):
    return registry.get_sample_value("gateway_redis_fail_open_total", {"feature": "rate_limit"})


async def test_a_failed_call_fails_open_and_rests_before_trying_again(link):
    link, clock, registry = link
    tried = []

    async def counted(client):
        tried.append(1)
        return await refused(client)

    assert await link.run("rate_limit", counted) is None
    assert await link.run("rate_limit", counted) is None  # resting: not even tried
    clock.now += 1.0
    assert await link.run("rate_limit", answered) == "ok"

    assert len(tried) == 1
    assert fail_open_count(registry) == 2
    assert registry.get_sample_value("gateway_redis_available") == 1


async def test_each_change_of_state_is_logged_once(link, caplog):
    link, clock, registry = link

    with caplog.at_level(logging.INFO, logger="shopflow_gateway.redis_link"):
        for _ in range(3):
            await link.run("rate_limit", refused)
            clock.now += 1.0
        assert registry.get_sample_value("gateway_redis_available") == 0
        for _ in range(3):
            await link.run("rate_limit", answered)

    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert messages[0].startswith("redis unreachable")
    assert messages[1].startswith("redis reachable again")
