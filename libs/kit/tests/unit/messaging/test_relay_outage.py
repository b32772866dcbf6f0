"""How the relay waits and what it logs while Kafka or PostgreSQL is away, without either."""

import logging

import pytest
from aiokafka.errors import KafkaConnectionError

from shopflow_kit.messaging.relay_outage import Outage

pytestmark = pytest.mark.unit


def ceiling(low: float, high: float) -> float:
    """A draw that always picks the top of the range: the backoff's ceiling."""
    return high


def test_the_backoff_ceiling_doubles_up_to_its_cap():
    outage = Outage("relay", first_backoff=0.1, max_backoff=1.0, draw=ceiling)
    error = KafkaConnectionError()
    assert [outage.attempt_failed(error) for _ in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


def test_the_wait_is_drawn_at_random_below_the_ceiling():
    ranges: list[tuple[float, float]] = []

    def draw(low: float, high: float) -> float:
        ranges.append((low, high))
        return low

    outage = Outage("relay", first_backoff=0.5, draw=draw)
    outage.attempt_failed(OSError())
    outage.attempt_failed(OSError())
    assert ranges == [(0.0, 0.5), (0.0, 1.0)]


def test_a_success_starts_the_next_outage_from_the_first_backoff():
    outage = Outage("relay", first_backoff=0.1, draw=ceiling)
    for _ in range(5):
        outage.attempt_failed(OSError())
    outage.attempt_succeeded()
    assert outage.attempt_failed(OSError()) == 0.1


def test_an_outage_is_logged_when_it_begins_and_when_it_ends_not_per_attempt(caplog):
    caplog.set_level(logging.INFO, logger="shopflow_kit.messaging.relay_outage")
    clock = iter([100.0, 112.5])
    outage = Outage("order-relay", draw=ceiling, clock=lambda: next(clock))
    for _ in range(3):
        outage.attempt_failed(KafkaConnectionError())
    outage.attempt_succeeded()
    outage.attempt_succeeded()

    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert messages[0].startswith("order-relay cannot publish, Kafka unavailable")
    assert messages[1] == "order-relay publishes again, after 12.5 s and 3 failed attempts"


@pytest.mark.parametrize(
    ("error", "blamed"),
    [(KafkaConnectionError(), "Kafka"), (TimeoutError(), "Kafka"), (OSError(), "PostgreSQL")],
)
def test_the_log_names_what_is_away(caplog, error, blamed):
    caplog.set_level(logging.WARNING, logger="shopflow_kit.messaging.relay_outage")
    Outage("relay").attempt_failed(error)
    assert f"{blamed} unavailable" in caplog.records[0].getMessage()


def test_an_outage_of_any_length_keeps_a_capped_backoff():
    # Attempt 1,025 computed 0.1 * 2**1024: an OverflowError that killed the relay.
    outage = Outage("relay", first_backoff=0.1, max_backoff=30.0, draw=ceiling)
    waits = [outage.attempt_failed(OSError()) for _ in range(1_100)]
    assert waits[-1] == 30.0


def test_however_long_the_outage_no_wait_exceeds_a_short_cap():
    outage = Outage("relay", max_backoff=2.0, draw=ceiling)

    waits = [outage.attempt_failed(OSError()) for _ in range(10_000)]

    assert max(waits) == 2.0
