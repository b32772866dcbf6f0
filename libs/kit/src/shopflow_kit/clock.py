"""The time the kit decides by: an injectable monotonic clock.

Every mechanism that decides by elapsed time (a breaker's cool-down, a retry budget's
window) takes `clock: Clock = time.monotonic`: seconds on a monotonic scale, read when
a decision is made. Tests pass a clock they move instead of sleeping until a cool-down
is over, so what they check is the rule, not how fast the machine is.
"""

from collections.abc import Callable

Clock = Callable[[], float]
"""Seconds on a monotonic scale (`time.monotonic` in production)."""
