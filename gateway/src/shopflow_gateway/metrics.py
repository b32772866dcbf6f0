"""The gateway's own instruments, on the app's registry next to the kit's HTTP metrics."""

from prometheus_client import CollectorRegistry, Counter, Gauge

REDIS_FEATURES = ("rate_limit", "cache")  # what the gateway asks Redis for, and fails open on


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.redis_available = Gauge(
            "gateway_redis_available",
            "1 while the last Redis call succeeded, 0 while the gateway runs without it.",
            registry=registry,
        )
        self.redis_fail_open = Counter(
            "gateway_redis_fail_open_total",
            "Requests served without their Redis step (rate limit or cache), by feature.",
            ["feature"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "gateway_rate_limited_total", "Requests refused with 429.", registry=registry
        )
        self.cache_lookups = Counter(
            "gateway_cache_lookups_total",
            "Product list cache lookups, by result (hit, miss, bypass).",
            ["result"],
            registry=registry,
        )
        self.redis_available.set(1)
        # Every series from the start: a dashboard reads 0, not "no data", until it happens.
        for feature in REDIS_FEATURES:
            self.redis_fail_open.labels(feature)
        for result in ("hit", "miss"):
            self.cache_lookups.labels(result)
