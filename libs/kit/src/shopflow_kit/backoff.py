"""How long to wait before trying again: the one rule for every retry and resend.

Attempt n's ceiling doubles from `first` (`first × 2^(n−1)`) up to `cap`; the wait is
drawn at random below it, so clients that failed together do not try again together.
`spread` says how far below: 1 is "full jitter" (anywhere in [0, ceiling], for retries),
a smaller one keeps the wait near its ceiling (a deadline that must not shrink much).

The attempt count may grow without bound (a relay retrying through a four-hour outage
passes attempt 100,000), so the doubling stops long before a float could overflow.
"""

import random
from collections.abc import Callable

Draw = Callable[[float, float], float]
"""Draws a number in [low, high]: `random.uniform`, or a fixed choice in a test."""

_MAX_DOUBLINGS = 1_000  # 2.0 ** 1000 is a float; any first × it reaches any cap


def ceiling(attempt: int, *, first: float, cap: float) -> float:
    """The longest wait after the `attempt`-th failure (1 is the first): first × 2^(attempt−1),
    at most `cap`."""
    if attempt < 1:
        raise ValueError(f"attempts count from 1, not {attempt}")
    # A product too large for a float is inf, never an error; min() takes the cap then.
    return min(cap, first * 2.0 ** min(attempt - 1, _MAX_DOUBLINGS))


def backoff(
    attempt: int, *, first: float, cap: float, spread: float = 1.0, draw: Draw = random.uniform
) -> float:
    """Seconds to wait after the `attempt`-th failure: at random in
    [ceiling × (1 − spread), ceiling]."""
    if not 0.0 <= spread <= 1.0:
        raise ValueError(f"spread is a fraction of the ceiling, not {spread}")
    high = ceiling(attempt, first=first, cap=cap)
    return draw(high * (1.0 - spread), high)
