"""When the saga next looks at an order: the resend schedule, a fresh schedule for the
undo, and a finished saga that no deadline wakes again."""

from datetime import timedelta

import pytest

from shopflow_kit.saga import CancelRefusedError, Saga, SagaStatus
from shopflow_kit.saga.engine import MAX_BACKOFF_FACTOR
from shopflow_testing.sample_saga import (
    DATA,
    DEFINITION,
    T0,
    Charged,
    Committed,
    Declined,
    Rejected,
    Reserved,
)

pytestmark = pytest.mark.unit

STEP = DEFINITION.step_deadline


def top(low, high):
    return high


def bottom(low, high):
    return low


@pytest.fixture
def saga():
    return Saga(DEFINITION, draw=top)  # every deadline at the top of its band


def committed(saga):
    reserved = saga.on_reply(saga.start(DATA, T0).state, DATA, Reserved(id="o-1"), T0)
    return saga.on_reply(reserved.state, DATA, Charged(id="o-1"), T0).state


@pytest.mark.parametrize(
    ("draw", "expected"),
    [(top, [2, 4, 8, 8, 8, 8]), (bottom, [1, 2, 4, 4, 4, 4])],
    ids=["top", "bottom"],
)
def test_each_wait_falls_in_a_band_that_doubles_up_to_the_cap(draw, expected):
    saga = Saga(DEFINITION, draw=draw)
    state = committed(saga)
    waits = [(state.deadline_at - T0) / STEP]
    for _ in range(5):
        now = state.deadline_at
        state = saga.on_deadline(state, DATA, now).state
        waits.append((state.deadline_at - now) / STEP)

    assert waits == expected
    assert max(waits) <= MAX_BACKOFF_FACTOR


def test_the_wait_is_drawn_between_half_its_ceiling_and_its_ceiling():
    bands = []

    def draw(low, high):
        bands.append((low / STEP.total_seconds(), high / STEP.total_seconds()))
        return high

    Saga(DEFINITION, draw=draw).start(DATA, T0)

    assert bands == [(1.0, 2.0)]


def test_undoing_starts_a_fresh_schedule_of_its_own(saga):
    state = saga.on_reply(saga.start(DATA, T0).state, DATA, Reserved(id="o-1"), T0).state
    for _ in range(DEFINITION.max_attempts):  # the charge is resent, then given up
        gave_up_at = state.deadline_at
        state = saga.on_deadline(state, DATA, gave_up_at).state

    assert state.status is SagaStatus.COMPENSATING
    assert (state.attempts, state.deadline_at) == (1, gave_up_at + 2 * STEP)


@pytest.mark.parametrize(
    "finish",
    [
        pytest.param([Reserved, Charged, Committed], id="completed"),
        pytest.param([Rejected], id="cancelled with nothing to undo"),
    ],
)
def test_a_finished_saga_awaits_nothing_and_no_deadline_wakes_it(saga, finish):
    state = saga.start(DATA, T0).state
    for reply in finish:
        state = saga.on_reply(state, DATA, reply(id="o-1"), T0).state

    assert state.finished
    assert (state.awaiting, state.deadline_at) == (frozenset(), None)
    later = saga.on_deadline(state, DATA, T0 + timedelta(days=1))
    assert (later.state, later.send) == (state, ())


def test_a_cancel_too_late_says_where_the_saga_is(saga):
    with pytest.raises(CancelRefusedError, match="COMMITTED"):
        saga.request_cancel(committed(saga))


def test_a_cancel_after_the_undo_began_changes_nothing(saga):
    reserved = saga.on_reply(saga.start(DATA, T0).state, DATA, Reserved(id="o-1"), T0)
    undoing = saga.on_reply(reserved.state, DATA, Declined(id="o-1"), T0).state

    assert saga.request_cancel(undoing).state == undoing
