"""The relay's Prometheus instruments, registered on its service's registry.

Read together: `outbox_pending` that only grows while `outbox_publish_failures_total`
climbs is Kafka (or the relay) down; a high `outbox_publish_lag_seconds` with no failures
is a relay that cannot keep up (more relays, bigger batches). A growing
`outbox_oldest_pending_age_seconds` with a steady `outbox_pending` is one row stuck at
the head of its key. `outbox_rows_set_aside` above 0 is rows the relay gave up on (ADR 0020):
an operator's to fix and put back (`make outbox`); they no longer count as pending.
"""

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from shopflow_kit.messaging.relay_batch import Backlog

# Seconds, up to five minutes: an outage's backlog still lands in a bucket of its own.
LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
SET_ASIDE_REASONS = ("permanent", "missing_topic")


class RelayMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.pending = Gauge(
            "outbox_pending",
            "Outbox rows waiting to be published (not set aside), counted once a second or"
            " once per poll interval.",
            registry=registry,
        )
        self.oldest_pending_age = Gauge(
            "outbox_oldest_pending_age_seconds",
            "Age of the oldest outbox row waiting to be published (0 when none waits).",
            registry=registry,
        )
        self.publish_lag = Histogram(
            "outbox_publish_lag_seconds",
            "From an outbox row being written to Kafka acknowledging it.",
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self.published = Counter(
            "outbox_published_total",
            "Outbox rows published to Kafka and marked published, by topic.",
            ["topic"],
            registry=registry,
        )
        self.publish_failures = Counter(
            "outbox_publish_failures_total",
            "Batches that could not be published or marked (rolled back, to be retried).",
            registry=registry,
        )
        self.set_aside = Gauge(
            "outbox_rows_set_aside",
            "Outbox rows set aside, never to be published as they are, until an operator puts"
            " them back (make outbox).",
            registry=registry,
        )
        self.set_aside_total = Counter(
            "outbox_set_aside",
            "Outbox rows set aside: refused by Kafka for good (permanent: too large, headers"
            " not text), or their topic missing past the relay's patience (missing_topic).",
            ["reason"],
            registry=registry,
        )
        for reason in SET_ASIDE_REASONS:  # every series from the start: rates read 0, not "no data"
            self.set_aside_total.labels(reason)

    def record_backlog(self, backlog: Backlog) -> None:
        self.pending.set(backlog.pending)
        self.oldest_pending_age.set(backlog.oldest_age)
        self.set_aside.set(backlog.set_aside)

    def record_set_aside(self, reason: str) -> None:
        self.set_aside_total.labels(reason).inc()

    def record_published(self, lags: Iterable[tuple[str, float]]) -> None:
        """Count each (topic, lag in seconds) of a batch that committed."""
        for topic, lag in lags:
            self.published.labels(topic).inc()
            self.publish_lag.observe(lag)
