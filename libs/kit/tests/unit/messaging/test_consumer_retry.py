"""Retry or dead-letter: which failures are tried again, how long to wait, when to stop."""

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from shopflow_kit.messaging.consumer_retry import (
    ConsumerRetryPolicy,
    DependencyOutageError,
    TransientError,
    is_transient,
)
from shopflow_kit.messaging.envelope import MalformedMessageError

pytestmark = pytest.mark.unit


class DriverError(Exception):
    """What asyncpg's errors look like through SQLAlchemy: an exception with a SQLSTATE."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


def database_error(sqlstate: str, *, connection_invalidated: bool = False) -> DBAPIError:
    return DBAPIError(
        "UPDATE stock", None, DriverError(sqlstate), connection_invalidated=connection_invalidated
    )


def ceiling(low: float, high: float) -> float:
    """A draw that always takes the top of the range, to see the backoff's ceiling."""
    return high


@pytest.mark.parametrize(
    "error",
    [
        TransientError("stock service briefly away"),
        database_error("40P01"),  # deadlock detected
        database_error("40001"),  # serialization failure
        database_error("08006"),  # connection failure
        database_error("57P01"),  # admin shutdown: the server is restarting
        database_error("XX000", connection_invalidated=True),
        ConnectionRefusedError("PostgreSQL is not listening"),
        TimeoutError(),
        PoolTimeoutError("QueuePool limit reached"),
    ],
    ids=repr,
)
def test_failures_that_may_pass_are_transient(error):
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        IntegrityError("INSERT ...", None, DriverError("23505")),  # a unique violation stays one
        database_error("42P01"),  # undefined table: a bug, not bad luck
        ValueError("no such product"),
        KeyError("sku"),
        MalformedMessageError("bad payload"),
    ],
    ids=repr,
)
def test_failures_that_would_fail_again_are_not_transient(error):
    assert not is_transient(error)


def test_a_transient_failure_is_retried_until_the_attempts_run_out():
    policy = ConsumerRetryPolicy(attempts=3)

    delays = [policy.retry_delay(TransientError(), failed) for failed in (1, 2, 3)]

    assert delays[0] is not None
    assert delays[1] is not None
    assert delays[2] is None  # the third attempt was the last: dead-letter it


def test_a_permanent_failure_is_dead_lettered_after_its_first_attempt():
    policy = ConsumerRetryPolicy(attempts=5)

    assert policy.retry_delay(ValueError("no such product"), 1) is None


def test_a_single_attempt_policy_never_retries():
    assert ConsumerRetryPolicy(attempts=1).retry_delay(TransientError(), 1) is None


def test_the_backoff_ceiling_doubles_per_failure_up_to_its_cap():
    policy = ConsumerRetryPolicy(attempts=10, backoff_seconds=0.5, max_backoff_seconds=5)

    ceilings = [policy.backoff(failed, draw=ceiling) for failed in range(1, 7)]

    assert ceilings == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_the_backoff_stays_capped_however_long_the_failures_go_on():
    policy = ConsumerRetryPolicy(backoff_seconds=0.5, max_backoff_seconds=5)

    assert policy.backoff(10_000, draw=ceiling) == 5.0  # a day-long Kafka outage, say


def test_the_backoff_is_drawn_between_zero_and_the_ceiling():
    policy = ConsumerRetryPolicy(backoff_seconds=0.5, max_backoff_seconds=5)
    ranges: list[tuple[float, float]] = []

    def record_range(low: float, high: float) -> float:
        ranges.append((low, high))
        return (low + high) / 2

    delay = policy.retry_delay(TransientError(), 2, draw=record_range)

    assert ranges == [(0.0, 1.0)]
    assert delay == 0.5


def test_the_real_jitter_stays_within_the_ceiling():
    policy = ConsumerRetryPolicy(backoff_seconds=0.5, max_backoff_seconds=5)

    delays = [policy.backoff(3) for _ in range(200)]

    assert all(0.0 <= delay <= 2.0 for delay in delays)
    assert len(set(delays)) > 1  # jittered: consumers that failed together do not retry together


def test_the_default_policy_gives_up_after_at_most_seven_and_a_half_seconds_of_waiting():
    policy = ConsumerRetryPolicy()

    worst_case = sum(policy.backoff(failed, draw=ceiling) for failed in range(1, policy.attempts))

    assert worst_case == 7.5  # what the docstring promises: far below Kafka's poll interval


@pytest.mark.parametrize(
    "outage",
    [
        ConnectionRefusedError(),
        PoolTimeoutError("pool exhausted"),
        OSError("reset"),
        DependencyOutageError("payment-provider is unavailable: circuit open"),
    ],
)
def test_a_dependency_being_away_is_waited_out_never_dead_lettered(outage):
    policy = ConsumerRetryPolicy(attempts=3)

    assert all(policy.retry_delay(outage, failed) is not None for failed in range(1, 1000))


def test_a_handlers_transient_error_is_still_bounded():
    assert ConsumerRetryPolicy(attempts=3).retry_delay(TransientError(), 3) is None
