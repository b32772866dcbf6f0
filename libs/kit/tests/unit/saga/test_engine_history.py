"""The saga's history, as the customer reads it on their order: each step, each reply,
why it was undone, and how it ended, in the order it happened."""

from dataclasses import replace

import pytest

from shopflow_kit.saga import Saga, SagaStatus
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
)

pytestmark = pytest.mark.unit


@pytest.fixture
def saga():
    return Saga(DEFINITION)


def test_a_completed_order_tells_each_command_and_reply_then_completed(saga):
    decisions = [saga.start(DATA, T0)]
    for message in (Reserved(id="o-1"), Charged(id="o-1"), Committed(id="o-1")):
        decisions.append(saga.on_reply(decisions[-1].state, DATA, message, T0))

    assert [line for d in decisions for line in d.history] == [
        ("reserve", "Reserve sent"),
        ("reserve", "Reserved"),
        ("charge", "Charge sent"),
        ("charge", "Charged"),
        ("commit", "Commit sent"),
        ("commit", "Committed"),
        ("saga", "completed"),
    ]


def test_a_refused_step_tells_the_reply_what_is_undone_and_the_reason(saga):
    reserved = saga.on_reply(saga.start(DATA, T0).state, DATA, Reserved(id="o-1"), T0)
    declined = saga.on_reply(reserved.state, DATA, Declined(id="o-1"), T0)
    released = saga.on_reply(declined.state, DATA, Released(id="o-1"), T0)

    assert declined.history == (("charge", "Declined"), ("saga", "compensating: Release"))
    assert released.history == (("saga", "Released"), ("saga", "cancelled: declined"))


def test_silence_tells_each_resend_and_how_many_attempts_it_gave_up_after(saga):
    state = saga.on_reply(saga.start(DATA, T0).state, DATA, Reserved(id="o-1"), T0).state
    history = []
    for _ in range(3):
        decision = saga.on_deadline(state, DATA, state.deadline_at)
        history.extend(decision.history)
        state = decision.state

    assert history == [
        ("charge", "no reply: Charge sent again"),
        ("charge", "no reply: Charge sent again"),
        ("charge", "no reply after 3 attempts"),
        ("saga", "compensating: Refund, Release"),
    ]
    [(who, what)] = saga.on_deadline(state, DATA, state.deadline_at).history
    undone = what.removeprefix("no reply: ").removesuffix(" sent again").split(", ")
    assert (who, sorted(undone)) == ("saga", ["Refund", "Release"])


def test_a_cancel_tells_when_it_was_asked_and_the_reply_that_let_it_undo(saga):
    asked = saga.request_cancel(saga.start(DATA, T0).state)
    reserved = saga.on_reply(asked.state, DATA, Reserved(id="o-1"), T0)
    released = saga.on_reply(reserved.state, DATA, Released(id="o-1"), T0)

    assert asked.history == (("reserve", "cancel requested"),)
    assert reserved.history == (("reserve", "Reserved"), ("saga", "compensating: Release"))
    assert released.history[-1] == ("saga", "cancelled: cancelled_by_customer")


def test_a_first_step_refused_tells_the_reply_and_the_reason_with_nothing_to_undo(saga):
    rejected = saga.on_reply(saga.start(DATA, T0).state, DATA, Rejected(id="o-1"), T0)

    assert rejected.history == (("reserve", "Rejected"), ("saga", "cancelled: out_of_stock"))


def test_an_undo_confirmed_before_the_others_is_told_and_the_saga_waits(saga):
    charging = saga.on_reply(saga.start(DATA, T0).state, DATA, Reserved(id="o-1"), T0)
    asked = saga.request_cancel(charging.state)
    undoing = saga.on_reply(asked.state, DATA, Charged(id="o-1"), T0)

    refunded = saga.on_reply(undoing.state, DATA, Refunded(id="o-1"), T0)

    assert refunded.history == (("saga", "Refunded"),)
    assert not refunded.cancelled


def test_a_saga_that_can_undo_every_step_commits_as_it_completes():
    undoable = Saga(replace(DEFINITION, steps=DEFINITION.steps[:2]))  # reserve, charge
    reserved = undoable.on_reply(undoable.start(DATA, T0).state, DATA, Reserved(id="o-1"), T0)
    assert not reserved.committed

    done = undoable.on_reply(reserved.state, DATA, Charged(id="o-1"), T0)

    assert (done.state.status, done.committed) == (SagaStatus.COMPLETED, True)
    assert done.history == (("charge", "Charged"), ("saga", "completed"))
