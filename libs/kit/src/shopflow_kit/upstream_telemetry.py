"""What an `Upstream` tells about itself: its metrics, and its breaker's changes of state."""

import logging
import time
from weakref import WeakKeyDictionary

import pybreaker
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from shopflow_kit.clock import Clock

logger = logging.getLogger("shopflow_kit.upstream")

BREAKER_STATES = (pybreaker.STATE_CLOSED, pybreaker.STATE_OPEN, pybreaker.STATE_HALF_OPEN)


OUTCOMES = ("success", "client_error", "server_error", "transport_error", "short_circuited")


class UpstreamMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        by = ["upstream"]
        doc = "Upstream calls, by outcome."
        self.calls = Counter("upstream_requests_total", doc, [*by, "outcome"], registry=registry)
        self.retries = Counter("upstream_retries_total", "Retries sent.", by, registry=registry)
        # One series per state, 1 for the current one: `max_over_time(...{state="open"}[5m])`
        # says whether it opened at all, which an averaged 0/0.5/1 gauge cannot.
        doc = "Circuit breaker state: 1 for the state it is in (closed, open, half-open), else 0."
        self.breaker_state = Gauge("upstream_breaker_state", doc, [*by, "state"], registry=registry)
        doc = "Upstream call time, retries included."
        self.duration = Histogram("upstream_request_duration_seconds", doc, by, registry=registry)


_metrics_by_registry: WeakKeyDictionary[CollectorRegistry, UpstreamMetrics] = WeakKeyDictionary()


def metrics_for(registry: CollectorRegistry, upstream_name: str) -> UpstreamMetrics:
    """The instruments on `registry`, shared by all upstreams of an app, with this
    upstream's series there from the start (a rate of 0, not "no data")."""
    if registry not in _metrics_by_registry:
        _metrics_by_registry[registry] = UpstreamMetrics(registry)
    metrics = _metrics_by_registry[registry]
    for outcome in OUTCOMES:
        metrics.calls.labels(upstream_name, outcome)
    metrics.retries.labels(upstream_name)
    metrics.duration.labels(upstream_name)
    return metrics


class BreakerWatch(pybreaker.CircuitBreakerListener):
    """Publishes the breaker's state changes; remembers when it last opened."""

    def __init__(self, upstream_name: str, gauge: Gauge, clock: Clock = time.monotonic) -> None:
        self.upstream_name = upstream_name
        self.gauges = {state: gauge.labels(upstream_name, state) for state in BREAKER_STATES}
        self._show(pybreaker.STATE_CLOSED)
        self._clock = clock
        self.opened_at = 0.0  # on `clock`

    def _show(self, current: str) -> None:
        for state, gauge in self.gauges.items():
            gauge.set(1 if state == current else 0)

    def state_change(
        self,
        _breaker: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        opened = new_state.name == pybreaker.STATE_OPEN
        if opened:
            self.opened_at = self._clock()
        self._show(new_state.name)
        old = old_state.name if old_state else None
        level = logging.WARNING if opened else logging.INFO
        logger.log(level, "upstream %s circuit %s -> %s", self.upstream_name, old, new_state.name)
