"""The saga engine: given a saga's state and what just happened, decide what happens next.

Pure: no I/O, no clock of its own. The caller (`saga.store`) loads the state, calls one
of these functions, then in the same transaction saves the new state, writes the
commands to the outbox and appends the history, so a reply advances the saga exactly
once with the commands it causes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Generic

from shopflow_kit.backoff import Draw, backoff
from shopflow_kit.messaging import Message
from shopflow_kit.saga.definition import D, SagaDefinition

MAX_BACKOFF_FACTOR = 8  # deadlines grow with each resend, up to this many step deadlines
DEADLINE_SPREAD = 0.5  # a deadline falls at random in its upper half: resends do not bunch


class SagaStatus(StrEnum):
    RUNNING = "RUNNING"  # doing steps that can still be undone
    COMMITTED = "COMMITTED"  # past the point of no return: finishing, cannot be cancelled
    COMPENSATING = "COMPENSATING"  # undoing what was done
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class SagaState:
    status: SagaStatus
    step: int
    awaiting: frozenset[str]  # names of the replies that would move the saga on
    attempts: int
    deadline_at: datetime | None
    cancel_requested: bool = False
    reason: str | None = None
    attention: str | None = None  # why it stopped resending and waits for an operator

    @property
    def finished(self) -> bool:
        return self.status in (SagaStatus.COMPLETED, SagaStatus.CANCELLED)


@dataclass(frozen=True)
class Outgoing:
    topic: str
    message: Message


@dataclass(frozen=True)
class Decision:
    state: SagaState
    send: tuple[Outgoing, ...] = ()
    history: tuple[tuple[str, str], ...] = ()  # (step, what happened)
    committed: bool = False  # just passed the point of no return
    cancelled: bool = False  # just finished undoing
    gave_up: bool = False  # just stopped resending: needs an operator


class CancelRefusedError(Exception):
    """The saga is past its point of no return (or done)."""


class Saga(Generic[D]):
    def __init__(self, definition: SagaDefinition[D], *, draw: Draw = random.uniform) -> None:
        """`draw` places each deadline in its band (`shopflow_kit.backoff`)."""
        self.definition = definition
        self._draw = draw

    def start(self, data: D, now: datetime) -> Decision:
        return self._do_step(0, SagaStatus.RUNNING, data, now)

    def on_reply(self, state: SagaState, data: D, reply: Message, now: datetime) -> Decision:
        if reply.TYPE not in state.awaiting:
            return Decision(state)  # late, duplicate or unrelated: nothing to do
        if state.status is SagaStatus.COMPENSATING:
            return self._compensated(state, reply)
        step = self.definition.steps[state.step]
        if isinstance(reply, step.succeeded):
            if state.cancel_requested and state.status is SagaStatus.RUNNING:
                return self._compensate(state, data, now, up_to=state.step, reason=None, note=reply)
            return self._advance(state, data, now, reply)
        reason = step.failed[type(reply)]
        return self._compensate(state, data, now, up_to=state.step - 1, reason=reason, note=reply)

    def on_deadline(self, state: SagaState, data: D, now: datetime) -> Decision:
        if state.finished or state.deadline_at is None or now < state.deadline_at:
            return Decision(state)
        committed = state.status is SagaStatus.COMMITTED
        unanswerable = committed or state.status is SagaStatus.COMPENSATING
        if unanswerable and state.attempts >= self.definition.max_resends_unanswerable:
            return self._give_up(state)
        if state.status is SagaStatus.COMPENSATING:
            return self._resend_compensations(state, data, now)
        if committed or state.attempts < self.definition.max_attempts:
            step = self.definition.steps[state.step]
            message = step.send(data)
            return Decision(
                replace(
                    state,
                    attempts=state.attempts + 1,
                    deadline_at=self._deadline(now, state.attempts + 1),
                ),
                send=(Outgoing(step.to, message),),
                history=((step.name, f"no reply: {message.TYPE} sent again"),),
            )
        timeout = self.definition.timeout_reason
        return self._compensate(state, data, now, up_to=state.step, reason=timeout, note=None)

    def request_cancel(self, state: SagaState) -> Decision:
        if state.status in (SagaStatus.COMMITTED, SagaStatus.COMPLETED):
            raise CancelRefusedError(state.status)
        if state.status is not SagaStatus.RUNNING or state.cancel_requested:
            return Decision(state)  # already being undone, or undone
        step = self.definition.steps[state.step].name
        return Decision(
            replace(state, cancel_requested=True), history=((step, "cancel requested"),)
        )

    def _advance(self, state: SagaState, data: D, now: datetime, reply: Message) -> Decision:
        steps = self.definition.steps
        done = (steps[state.step].name, f"{reply.TYPE}")
        following = state.step + 1
        if following == len(steps):
            completed = replace(
                state, status=SagaStatus.COMPLETED, awaiting=frozenset(), deadline_at=None
            )
            committed = state.status is SagaStatus.RUNNING  # no step was beyond undoing
            return Decision(completed, history=(done, ("saga", "completed")), committed=committed)
        commits = state.status is SagaStatus.RUNNING and following >= self.definition.commit_step
        status = SagaStatus.COMMITTED if commits else state.status
        decision = self._do_step(following, status, data, now)
        return replace(decision, history=(done, *decision.history), committed=commits)

    def _do_step(self, index: int, status: SagaStatus, data: D, now: datetime) -> Decision:
        step = self.definition.steps[index]
        message = step.send(data)
        awaiting = frozenset(reply.TYPE for reply in (step.succeeded, *step.failed))
        state = SagaState(status, index, awaiting, 1, self._deadline(now, 1))
        return Decision(
            state,
            send=(Outgoing(step.to, message),),
            history=((step.name, f"{message.TYPE} sent"),),
        )

    def _compensate(
        self,
        state: SagaState,
        data: D,
        now: datetime,
        *,
        up_to: int,
        reason: str | None,
        note: Message | None,
    ) -> Decision:
        """Undo steps 0..up_to, all at once; cancelled when every undo is confirmed."""
        if state.cancel_requested or reason is None:
            reason = self.definition.cancel_reason
        step = self.definition.steps[state.step].name
        why = note.TYPE if note else f"no reply after {state.attempts} attempts"
        to_undo = [s for s in self.definition.steps[: up_to + 1] if s.compensation][::-1]
        if not to_undo:
            cancelled = replace(
                state,
                status=SagaStatus.CANCELLED,
                awaiting=frozenset(),
                deadline_at=None,
                reason=reason,
            )
            return Decision(
                cancelled, history=((step, why), ("saga", f"cancelled: {reason}")), cancelled=True
            )
        compensations = [s.compensation for s in to_undo if s.compensation]
        sends = tuple(Outgoing(c.to, c.send(data)) for c in compensations)
        compensating = replace(
            state,
            status=SagaStatus.COMPENSATING,
            awaiting=frozenset(c.done_when.TYPE for c in compensations),
            attempts=1,
            deadline_at=self._deadline(now, 1),
            reason=reason,
        )
        undo = ", ".join(o.message.TYPE for o in sends)
        return Decision(
            compensating, send=sends, history=((step, why), ("saga", f"compensating: {undo}"))
        )

    def _compensated(self, state: SagaState, reply: Message) -> Decision:
        awaiting = state.awaiting - {reply.TYPE}
        history: tuple[tuple[str, str], ...] = (("saga", reply.TYPE),)
        if awaiting:
            return Decision(replace(state, awaiting=awaiting), history=history)
        cancelled = replace(state, status=SagaStatus.CANCELLED, awaiting=awaiting, deadline_at=None)
        return Decision(
            cancelled, history=(*history, ("saga", f"cancelled: {state.reason}")), cancelled=True
        )

    def _resend_compensations(self, state: SagaState, data: D, now: datetime) -> Decision:
        pending = [
            s.compensation
            for s in self.definition.steps
            if s.compensation and s.compensation.done_when.TYPE in state.awaiting
        ]
        sends = tuple(Outgoing(c.to, c.send(data)) for c in pending)
        attempts = state.attempts + 1
        again = ", ".join(o.message.TYPE for o in sends)
        return Decision(
            replace(state, attempts=attempts, deadline_at=self._deadline(now, attempts)),
            send=sends,
            history=(("saga", f"no reply: {again} sent again"),),
        )

    def _give_up(self, state: SagaState) -> Decision:
        """Stop resending what nobody confirms: the saga keeps awaiting the replies (a late
        one still moves it on), and an operator is told (metric, log, `make sagas`)."""
        why = f"{', '.join(sorted(state.awaiting))} unconfirmed after {state.attempts} sends"
        return Decision(
            replace(state, deadline_at=None, attention=why),
            history=(("saga", f"needs attention: {why}"),),
            gave_up=True,
        )

    def _deadline(self, now: datetime, attempt: int) -> datetime:
        """Attempt n waits at random in [1, 2] × step × 2^(n−1), up to MAX_BACKOFF_FACTOR steps."""
        step = self.definition.step_deadline.total_seconds()
        wait = backoff(
            attempt,
            first=2 * step,
            cap=MAX_BACKOFF_FACTOR * step,
            spread=DEADLINE_SPREAD,
            draw=self._draw,
        )
        return now + timedelta(seconds=wait)
