"""How long a retry waits: the jittered backoff within its bounds, or the upstream's own
`Retry-After`; and the budget counted on the upstream's clock, not the wall's."""

import asyncio

import httpx
import pytest

from shopflow_kit.retry_budget import Retries, RetryPolicy
from shopflow_testing.clock import ManualClock

pytestmark = pytest.mark.unit

REQUEST = httpx.Request("GET", "http://inventory.test/products")


@pytest.fixture
def waits(monkeypatch):
    """The seconds each retry slept, without sleeping them."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    return slept


def answers(*responses: httpx.Response):
    remaining = list(responses)

    async def send(_request: httpx.Request) -> httpx.Response:
        return remaining.pop(0)

    return send


def busy(**headers: str) -> httpx.Response:
    return httpx.Response(503, headers=headers)


async def test_without_retry_after_each_wait_is_a_backoff_within_its_bounds(waits):
    policy = RetryPolicy(attempts=5, backoff_seconds=0.1, max_backoff_seconds=0.3)
    retries = Retries(policy, on_retry=lambda: None, clock=ManualClock())

    response = await retries.send(
        answers(busy(), busy(), busy(), busy(), httpx.Response(200)), REQUEST, None
    )

    assert response.status_code == 200
    assert len(waits) == 4
    assert all(0 <= wait <= 0.3 for wait in waits)
    assert waits[0] <= 0.1  # the first retry waits at most one backoff


async def test_a_short_retry_after_is_waited_as_asked(waits):
    policy = RetryPolicy(backoff_seconds=0.01, max_backoff_seconds=0.01)
    retries = Retries(policy, on_retry=lambda: None, clock=ManualClock())

    await retries.send(answers(busy(**{"Retry-After": "1.5"}), httpx.Response(200)), REQUEST, None)

    assert waits == [1.5]


async def test_the_budget_window_is_on_the_upstreams_clock(waits):
    clock = ManualClock()
    policy = RetryPolicy(attempts=2, min_retries_per_window=1, budget_ratio=0, window_seconds=10)
    retries = Retries(policy, on_retry=lambda: None, clock=clock)

    await retries.send(answers(busy(), busy()), REQUEST, None)  # spends the one retry
    refused = await retries.send(answers(busy()), REQUEST, None)
    clock.advance(10)  # the window moves on this clock alone
    await retries.send(answers(busy(), httpx.Response(200)), REQUEST, None)

    assert refused.status_code == 503
    assert len(waits) == 2  # one retry per window
