"""The retry budget, on a clock the test moves."""

import pytest

from shopflow_kit.retry_budget import RetryBudget
from shopflow_testing.clock import ManualClock

pytestmark = pytest.mark.unit


def spend_all(budget: RetryBudget) -> int:
    """Retries until the budget refuses; returns how many it allowed."""
    spent = 0
    while budget.can_retry():
        budget.record_retry()
        spent += 1
    return spent


def test_a_quiet_upstream_still_gets_the_minimum_retries():
    budget = RetryBudget(
        ratio=0.2, min_retries_per_window=10, window_seconds=10, clock=ManualClock()
    )

    assert spend_all(budget) == 10


def test_retries_grow_with_requests_by_the_ratio():
    budget = RetryBudget(
        ratio=0.2, min_retries_per_window=10, window_seconds=10, clock=ManualClock()
    )
    for _ in range(100):
        budget.record_request()

    assert spend_all(budget) == 20


def test_the_window_slides():
    clock = ManualClock()
    budget = RetryBudget(ratio=0.5, min_retries_per_window=1, window_seconds=10, clock=clock)
    for _ in range(10):
        budget.record_request()
    assert spend_all(budget) == 5

    clock.advance(9.9)
    assert not budget.can_retry()
    clock.advance(0.1)  # the requests and retries of the first moment leave the window
    assert spend_all(budget) == 1
