"""Broken engines the property test alone must catch: each mutant is the real engine
with one small, plausible mistake. If a mutant survives, the property test has a blind
spot (the example tests in `test_engine.py` do not count here)."""

from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from shopflow_kit.saga import Decision, Saga, SagaState, SagaStatus
from shopflow_kit.saga.engine import Outgoing
from shopflow_testing.saga_world import picking, run_saga
from shopflow_testing.sample_saga import DEFINITION, SampleData

pytestmark = pytest.mark.unit

SEEDS = st.integers(0, 2**64)  # each seed one run of random choices (`picking`)

Data = SampleData


class CancelsAtStart(Saga[Data]):
    def start(self, data: Data, now: datetime) -> Decision:
        state = replace(super().start(data, now).state, status=SagaStatus.CANCELLED)
        return Decision(replace(state, reason="cancelled_by_customer"), cancelled=True)


class TakesAStaleReply(Saga[Data]):
    """Takes a late duplicate of the previous step's success for the current step's."""

    def on_reply(self, state: SagaState, data: Data, reply, now: datetime) -> Decision:
        steps = self.definition.steps
        running = state.status is SagaStatus.RUNNING and state.step > 0
        if running and isinstance(reply, steps[state.step - 1].succeeded):
            reply = steps[state.step].succeeded(id=data.id)
        return super().on_reply(state, data, reply, now)


class NeverCommits(Saga[Data]):
    """Passes the point of no return without telling the order."""

    def _advance(self, state, data, now, reply) -> Decision:
        return replace(super()._advance(state, data, now, reply), committed=False)


class CommitsOnCompletionToo(Saga[Data]):
    def _advance(self, state, data, now, reply) -> Decision:
        decision = super()._advance(state, data, now, reply)
        return replace(decision, committed=decision.committed or decision.state.finished)


class SkipsTheLastUndo(Saga[Data]):
    """Undoes every step but the one under way."""

    def _compensate(self, state, data, now, *, up_to, reason, note) -> Decision:
        return super()._compensate(state, data, now, up_to=up_to - 1, reason=reason, note=note)


class ForgetsTheCustomersCancel(Saga[Data]):
    """Keeps the failure's reason when the customer had asked to cancel."""

    def _compensate(self, state, data, now, *, up_to, reason, note) -> Decision:
        state = replace(state, cancel_requested=False)
        return super()._compensate(state, data, now, up_to=up_to, reason=reason, note=note)


class BlamesTheCustomer(Saga[Data]):
    """Every cancellation is the customer's."""

    def _compensate(self, state, data, now, *, up_to, reason, note) -> Decision:
        return super()._compensate(state, data, now, up_to=up_to, reason=None, note=note)


class CancelsAtTheFirstConfirmation(Saga[Data]):
    def _compensated(self, state: SagaState, reply) -> Decision:
        return super()._compensated(replace(state, awaiting=frozenset({reply.TYPE})), reply)


class CancelsWhileUndoing(Saga[Data]):
    """Tells the order it is cancelled as soon as the undo is sent."""

    def _compensate(self, state, data, now, *, up_to, reason, note) -> Decision:
        decision = super()._compensate(state, data, now, up_to=up_to, reason=reason, note=note)
        return replace(decision, cancelled=True)


class GivesUpAtOnce(Saga[Data]):
    """Times a step out on its first deadline."""

    def on_deadline(self, state: SagaState, data: Data, now: datetime) -> Decision:
        if state.status is SagaStatus.RUNNING:
            state = replace(state, attempts=self.definition.max_attempts)
        return super().on_deadline(state, data, now)


class NeverGivesUp(Saga[Data]):
    def on_deadline(self, state: SagaState, data: Data, now: datetime) -> Decision:
        if state.status is SagaStatus.RUNNING:
            state = replace(state, attempts=1)
        return super().on_deadline(state, data, now)


class ResendsForever(Saga[Data]):
    """Never stops resending an undo or the last step, however long nobody confirms it."""

    def on_deadline(self, state: SagaState, data: Data, now: datetime) -> Decision:
        if state.status is not SagaStatus.RUNNING:
            state = replace(state, attempts=1)
        return super().on_deadline(state, data, now)


class CancelsWhenCommitted(Saga[Data]):
    """Accepts a cancel past the point of no return."""

    def request_cancel(self, state: SagaState) -> Decision:
        if state.status is SagaStatus.COMMITTED:
            return Decision(replace(state, cancel_requested=True))
        return super().request_cancel(state)


class IgnoresTheCancel(Saga[Data]):
    """Records the customer's cancel, then carries on as if it had not."""

    def on_reply(self, state: SagaState, data: Data, reply, now: datetime) -> Decision:
        if state.status is SagaStatus.RUNNING:
            state = replace(state, cancel_requested=False)
        return super().on_reply(state, data, reply, now)


class CommitsTooEarly(Saga[Data]):
    """Takes the step before the point of no return for it."""

    def _advance(self, state, data, now, reply) -> Decision:
        decision = super()._advance(state, data, now, reply)
        if state.step == 0 and decision.state.status is SagaStatus.RUNNING:
            committed = replace(decision.state, status=SagaStatus.COMMITTED)
            return replace(decision, state=committed, committed=True)
        return decision


class ResendsTheWrongCommand(Saga[Data]):
    """On a deadline sends the next step's command instead of the step's own."""

    def on_deadline(self, state: SagaState, data: Data, now: datetime) -> Decision:
        decision = super().on_deadline(state, data, now)
        steps = self.definition.steps
        if decision.send and state.status is SagaStatus.RUNNING and state.step + 1 < len(steps):
            following = steps[state.step + 1]
            return replace(decision, send=(Outgoing(following.to, following.send(data)),))
        return decision


MUTANTS = [
    CancelsAtStart,
    TakesAStaleReply,
    NeverCommits,
    CommitsOnCompletionToo,
    SkipsTheLastUndo,
    ForgetsTheCustomersCancel,
    BlamesTheCustomer,
    CancelsAtTheFirstConfirmation,
    CancelsWhileUndoing,
    GivesUpAtOnce,
    NeverGivesUp,
    ResendsForever,
    CancelsWhenCommitted,
    IgnoresTheCancel,
    CommitsTooEarly,
    ResendsTheWrongCommand,
]


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.__name__)
def test_the_property_test_catches_a_broken_engine(mutant):
    @settings(
        max_examples=5_000,
        deadline=None,
        derandomize=True,  # the same examples every run: a mutant is caught always or never
        database=None,
        phases=[Phase.generate],  # a counterexample is enough: no need to shrink it
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(in_stock=st.booleans(), card_ok=st.booleans(), seed=SEEDS)
    def property_holds(in_stock, card_ok, seed):
        run_saga(mutant(DEFINITION), in_stock, card_ok, picking(seed))

    with pytest.raises(AssertionError):
        property_holds()
