"""Admission's rule, without I/O: refuse only a real backlog that is too slow."""

import pytest

from shopflow_order.admission import Admission, Backlog, Overloaded

STEP_DEADLINE = 10.0


def retry_afters(gate: Admission, refusals: int = 200) -> set[int]:
    """The Retry-After of each of `refusals` orders refused by `gate`."""
    told = set()
    for _ in range(refusals):
        with pytest.raises(Overloaded) as refused:
            gate.admit()
        told.add(refused.value.retry_after_seconds)
    return told


def admission(**backlog: float) -> Admission:
    gate = Admission(  # never measures here
        database=None, max_latency=1.0, min_backlog=20, longest_wait=STEP_DEADLINE
    )
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

    assert refused.value.response().headers["retry-after"] == str(refused.value.retry_after_seconds)


def test_refused_clients_are_told_about_as_long_as_a_saga_takes_and_not_all_the_same():
    # A saga takes about 4 s now: come back in 2 to 4 s (whole seconds: 3 or 4), spread.
    told = retry_afters(admission(in_flight=20, median_age=2.0))

    assert told == {3, 4}


def test_after_a_stall_clients_come_back_within_a_step_deadline_not_the_backlogs_age():
    # Kafka was away for 10 minutes: the sagas in flight are old, but they will clear in
    # seconds once it is back. Told to wait their age, clients would stay away that long.
    told = retry_afters(admission(in_flight=1000, median_age=600.0))

    assert min(told) >= STEP_DEADLINE / 2
    assert max(told) == STEP_DEADLINE
