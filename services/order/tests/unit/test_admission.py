"""Admission's rule, without I/O: refuse only a real backlog that is too slow."""

import pytest

from shopflow_order.admission import Admission, Backlog, Overloaded


def admission(**backlog: float) -> Admission:
    gate = Admission(database=None, max_latency=1.0, min_backlog=20)  # never measures here
    gate.measure_now(Backlog(**backlog))
    return gate


@pytest.mark.parametrize(
    ("in_flight", "median_age"),
    [(0, 0.0), (500, 0.4), (19, 30.0)],
    ids=["idle", "busy but fast", "few but slow"],
)
def test_admits(in_flight, median_age):
    admission(in_flight=in_flight, median_age=median_age).admit()


def test_refuses_a_backlog_that_would_make_an_order_wait_too_long():
    with pytest.raises(Overloaded) as refused:
        admission(in_flight=20, median_age=2.0).admit()

    # About as long as a saga takes now (4 s), plus up to a second of jitter.
    assert refused.value.retry_after_seconds in (4, 5)
    assert refused.value.response().headers["retry-after"] == str(refused.value.retry_after_seconds)


def test_retry_after_is_bounded():
    with pytest.raises(Overloaded) as refused:
        admission(in_flight=1000, median_age=600.0).admit()

    assert refused.value.retry_after_seconds == 30
