"""The relay's instruments, on the registry it is given."""

import pytest
from prometheus_client import CollectorRegistry

from shopflow_kit.messaging.relay_batch import Backlog
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


def test_rows_set_aside_are_counted_by_reason_and_every_reason_reads_zero_from_the_start():
    registry = CollectorRegistry()
    metrics = RelayMetrics(registry)
    assert registry.get_sample_value("outbox_set_aside_total", {"reason": "missing_topic"}) == 0

    metrics.record_set_aside("permanent")
    metrics.record_backlog(Backlog(pending=3, oldest_age=1.5, set_aside=1))

    assert registry.get_sample_value("outbox_set_aside_total", {"reason": "permanent"}) == 1
    assert registry.get_sample_value("outbox_rows_set_aside") == 1
    assert registry.get_sample_value("outbox_pending") == 3
    assert registry.get_sample_value("outbox_oldest_pending_age_seconds") == 1.5
