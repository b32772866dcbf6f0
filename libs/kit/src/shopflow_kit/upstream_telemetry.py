"""What an `Upstream` tells about itself: its metrics, and its breaker's changes of state."""

import logging
import time
from weakref import WeakKeyDictionary

import pybreaker
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

logger = logging.getLogger("shopflow_kit.upstream")

BREAKER_OPEN_VALUE = {"closed": 0.0, "half-open": 0.5, "open": 1.0}  # by pybreaker state


class UpstreamMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        by = ["upstream"]
        doc = "Upstream calls, by outcome."
        self.calls = Counter("upstream_requests_total", doc, [*by, "outcome"], registry=registry)
        self.retries = Counter("upstream_retries_total", "Retries sent.", by, registry=registry)
        doc = "Circuit breaker: 1 open, 0.5 half-open, 0 closed."
        self.breaker_open = Gauge("upstream_breaker_open", doc, by, registry=registry)
        doc = "Upstream call time, retries included."
        self.duration = Histogram("upstream_request_duration_seconds", doc, by, registry=registry)


_metrics_by_registry: WeakKeyDictionary[CollectorRegistry, UpstreamMetrics] = WeakKeyDictionary()


def metrics_for(registry: CollectorRegistry) -> UpstreamMetrics:
    """The instruments on `registry`, shared by all upstreams of an app."""
    if registry not in _metrics_by_registry:
        _metrics_by_registry[registry] = UpstreamMetrics(registry)
    return _metrics_by_registry[registry]


class BreakerWatch(pybreaker.CircuitBreakerListener):
    """Publishes the breaker's state changes; remembers when it last opened."""

    def __init__(self, upstream_name: str, gauge: Gauge) -> None:
        self.upstream_name = upstream_name
        self.gauge = gauge.labels(upstream_name)
        self.gauge.set(0)
        self.opened_at = 0.0

    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        opened = new_state.name == pybreaker.STATE_OPEN
        if opened:
            self.opened_at = time.monotonic()
        self.gauge.set(BREAKER_OPEN_VALUE[new_state.name])
        old = old_state.name if old_state else None
        level = logging.WARNING if opened else logging.INFO
        logger.log(level, "upstream %s circuit %s -> %s", self.upstream_name, old, new_state.name)
