"""The engine's decisions for every path of a saga shaped like place-order."""

from datetime import timedelta

import pytest

from shopflow_kit.saga import CancelRefusedError, Saga, SagaStatus
from shopflow_testing.sample_saga import (
    DATA,
    DEFINITION,
    T0,
    Charged,
    Committed,
    Declined,
    Refunded,
    Rejected,
    Released,
    Reserved,
    sent,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def saga():
    return Saga(DEFINITION)


def reply(saga, decision, message, at=T0):
    return saga.on_reply(decision.state, DATA, message, at)


def test_the_happy_path_sends_each_command_and_commits_before_the_last_step(saga):
    started = saga.start(DATA, T0)
    reserved = reply(saga, started, Reserved(id="o-1"))
    charged = reply(saga, reserved, Charged(id="o-1"))
    done = reply(saga, charged, Committed(id="o-1"))

    assert [sent(d) for d in (started, reserved, charged)] == [
        [("stock", "Reserve")],
        [("money", "Charge")],
        [("stock", "Commit")],
    ]
    assert (charged.committed, charged.state.status) == (True, SagaStatus.COMMITTED)
    assert done.state.status is SagaStatus.COMPLETED
    assert not done.committed  # committed once, when it passed the point of no return


def test_a_first_step_refused_cancels_with_nothing_to_undo(saga):
    refused = reply(saga, saga.start(DATA, T0), Rejected(id="o-1"))

    assert refused.cancelled
    assert (refused.state.status, refused.state.reason) == (SagaStatus.CANCELLED, "out_of_stock")
    assert refused.send == ()


def test_a_declined_charge_releases_the_stock_then_cancels(saga):
    declined = reply(
        saga, reply(saga, saga.start(DATA, T0), Reserved(id="o-1")), Declined(id="o-1")
    )

    assert sent(declined) == [("stock", "Release")]
    assert declined.state.status is SagaStatus.COMPENSATING
    released = reply(saga, declined, Released(id="o-1"))
    assert released.cancelled
    assert released.state.reason == "declined"


def test_a_reply_that_is_not_awaited_changes_nothing(saga):
    reserved = reply(saga, saga.start(DATA, T0), Reserved(id="o-1"))

    again = reply(saga, reserved, Reserved(id="o-1"))  # redelivered

    assert again.state == reserved.state
    assert again.send == again.history == ()


def test_silence_resends_the_command_until_the_bound_then_undoes_everything_so_far(saga):
    charging = reply(saga, saga.start(DATA, T0), Reserved(id="o-1"))
    state, resends = charging.state, []
    for _ in range(2):
        decision = saga.on_deadline(state, DATA, state.deadline_at)
        resends.append(sent(decision))
        state = decision.state

    gave_up = saga.on_deadline(state, DATA, state.deadline_at)

    assert resends == [[("money", "Charge")], [("money", "Charge")]]
    # The charge's outcome is unknown: refund it (a no-op if never charged) and release.
    assert sent(gave_up) == [("money", "Refund"), ("stock", "Release")]
    done = reply(saga, reply(saga, gave_up, Refunded(id="o-1")), Released(id="o-1"))
    assert (done.cancelled, done.state.reason) == (True, "timed_out")


def test_before_its_deadline_nothing_is_resent(saga):
    started = saga.start(DATA, T0)

    early = saga.on_deadline(started.state, DATA, started.state.deadline_at - timedelta(seconds=1))

    assert early.send == ()


def test_each_resend_waits_longer(saga):
    first = saga.start(DATA, T0).state
    second = saga.on_deadline(first, DATA, first.deadline_at).state

    assert second.deadline_at - first.deadline_at > first.deadline_at - T0


def test_past_the_point_of_no_return_the_last_step_is_resent_up_to_a_bound_then_waits(saga):
    state = reply(
        saga, reply(saga, saga.start(DATA, T0), Reserved(id="o-1")), Charged(id="o-1")
    ).state
    for _ in range(DEFINITION.max_resends_unanswerable - 1):
        decision = saga.on_deadline(state, DATA, state.deadline_at)
        assert sent(decision) == [("stock", "Commit")]
        state = decision.state

    waits = saga.on_deadline(state, DATA, state.deadline_at)

    assert (waits.gave_up, waits.send, waits.state.deadline_at) == (True, (), None)
    assert waits.state.attention == "Committed unconfirmed after 10 sends"
    assert waits.history == (("saga", "needs attention: Committed unconfirmed after 10 sends"),)
    late = saga.on_reply(waits.state, DATA, Committed(id="o-1"), T0)
    assert late.state.status is SagaStatus.COMPLETED  # a late confirmation still finishes it


def test_a_cancel_while_reserving_undoes_the_reservation_when_it_arrives(saga):
    started = saga.start(DATA, T0)
    asked = saga.request_cancel(started.state)

    reserved = saga.on_reply(asked.state, DATA, Reserved(id="o-1"), T0)

    assert asked.send == ()  # nothing is undone before there is something to undo
    assert sent(reserved) == [("stock", "Release")]
    done = reply(saga, reserved, Released(id="o-1"))
    assert done.state.reason == "cancelled_by_customer"


def test_a_cancel_while_charging_refunds_and_releases(saga):
    charging = reply(saga, saga.start(DATA, T0), Reserved(id="o-1"))
    asked = saga.request_cancel(charging.state)

    charged = saga.on_reply(asked.state, DATA, Charged(id="o-1"), T0)

    assert sent(charged) == [("money", "Refund"), ("stock", "Release")]
    assert not charged.committed


def test_a_cancel_when_the_step_fails_anyway_keeps_the_customers_reason(saga):
    asked = saga.request_cancel(saga.start(DATA, T0).state)

    rejected = saga.on_reply(asked.state, DATA, Rejected(id="o-1"), T0)

    assert rejected.state.reason == "cancelled_by_customer"


def test_past_the_point_of_no_return_a_cancel_is_refused(saga):
    committed = reply(
        saga, reply(saga, saga.start(DATA, T0), Reserved(id="o-1")), Charged(id="o-1")
    )

    with pytest.raises(CancelRefusedError):
        saga.request_cancel(committed.state)


def test_a_second_cancel_changes_nothing(saga):
    asked = saga.request_cancel(saga.start(DATA, T0).state)

    assert saga.request_cancel(asked.state).state == asked.state
    assert saga.request_cancel(asked.state).history == ()


def test_compensations_are_resent_up_to_a_bound_then_the_saga_needs_attention(saga):
    gave_up = reply(saga, reply(saga, saga.start(DATA, T0), Reserved(id="o-1")), Declined(id="o-1"))
    state = gave_up.state

    for _ in range(DEFINITION.max_resends_unanswerable - 1):
        decision = saga.on_deadline(state, DATA, state.deadline_at)
        assert sent(decision) == [("stock", "Release")]
        state = decision.state
    waits = saga.on_deadline(state, DATA, state.deadline_at)

    assert (waits.gave_up, waits.send, waits.state.deadline_at) == (True, (), None)
    assert waits.state.status is SagaStatus.COMPENSATING
    assert waits.state.attention == "Released unconfirmed after 10 sends"
    assert saga.on_deadline(waits.state, DATA, T0 + timedelta(days=1)).send == ()
    late = saga.on_reply(waits.state, DATA, Released(id="o-1"), T0)
    assert (late.cancelled, late.state.reason) == (True, "declined")
