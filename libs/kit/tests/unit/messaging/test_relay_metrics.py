"""The relay's instruments, on the registry it is given."""

import pytest
from prometheus_client import CollectorRegistry

from shopflow_kit.messaging.relay_metrics import RelayMetrics

pytestmark = pytest.mark.unit


def test_a_committed_batch_counts_per_topic_and_observes_each_lag():
    registry = CollectorRegistry()
    metrics = RelayMetrics(registry)
    metrics.record_published([("shopflow.order.events", 0.02), ("shopflow.order.events", 3.0)])
    metrics.record_published([("shopflow.payment.commands", 0.5)])

    def sample(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert sample("outbox_published_total", topic="shopflow.order.events") == 2
    assert sample("outbox_published_total", topic="shopflow.payment.commands") == 1
    assert sample("outbox_publish_lag_seconds_count") == 3
    assert sample("outbox_publish_lag_seconds_bucket", le="0.025") == 1
    assert sample("outbox_publish_lag_seconds_bucket", le="2.5") == 2
    assert sample("outbox_pending") == 0
    assert sample("outbox_publish_failures_total") == 0
