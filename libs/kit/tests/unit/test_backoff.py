"""The one backoff rule: a doubling ceiling, capped, a random wait below it, at any attempt."""

import pytest

from shopflow_kit.backoff import backoff, ceiling

pytestmark = pytest.mark.unit


def top(low: float, high: float) -> float:
    return high


def bottom(low: float, high: float) -> float:
    return low


def test_the_ceiling_doubles_from_the_first_wait_up_to_the_cap():
    ceilings = [ceiling(n, first=0.1, cap=1.0) for n in range(1, 7)]
    assert ceilings == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])


@pytest.mark.parametrize("attempt", [1_024, 1_025, 1_100, 100_000, 10**18])
def test_any_attempt_count_waits_the_cap_and_never_overflows(attempt):
    # 0.1 * 2**1024 raised OverflowError: the relay died after ~4 h of a Kafka outage.
    assert backoff(attempt, first=0.1, cap=30.0, draw=top) == 30.0


def test_a_huge_first_wait_is_capped_too():
    assert ceiling(5_000, first=1e300, cap=60.0) == 60.0


def test_full_jitter_draws_from_zero_up_to_the_ceiling():
    assert backoff(3, first=1.0, cap=10.0, draw=bottom) == 0.0
    assert backoff(3, first=1.0, cap=10.0, draw=top) == 4.0


def test_a_smaller_spread_keeps_the_wait_near_its_ceiling():
    assert backoff(3, first=1.0, cap=10.0, spread=0.25, draw=bottom) == 3.0


def test_the_default_draw_is_random_and_within_bounds():
    waits = {backoff(4, first=1.0, cap=10.0, spread=0.5) for _ in range(50)}
    assert len(waits) > 1
    assert all(4.0 <= wait <= 8.0 for wait in waits)


@pytest.mark.parametrize("attempt", [0, -1])
def test_attempts_count_from_one(attempt):
    with pytest.raises(ValueError, match="count from 1"):
        ceiling(attempt, first=1.0, cap=2.0)


@pytest.mark.parametrize("spread", [-0.1, 1.5])
def test_the_spread_is_a_fraction(spread):
    with pytest.raises(ValueError, match="fraction"):
        backoff(1, first=1.0, cap=2.0, spread=spread)
