"""A clock the test moves, for the kit's time-based decisions (`shopflow_kit.clock`).

clock = ManualClock()
upstream = Upstream("inventory", url, policy, clock=clock)
...                      # the breaker opens
clock.advance(policy.breaker_reset_seconds)   # its cool-down is over, at once
"""


class ManualClock:
    """Monotonic seconds that stand still until `advance` moves them."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a monotonic clock never goes back")
        self.now += seconds
