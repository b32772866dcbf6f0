"""A saga as data: its steps, the command each sends, the replies it expects, how to undo it.

A step with a compensation can be undone; a step without one is retried until it
succeeds. The saga commits (cannot be cancelled any more) when it reaches its first
step that cannot be undone: everything after that point only finishes the work.

A definition is generic over its data, a Pydantic model: what its commands need to know,
stored as JSON with the saga and read back as that model. Each command is made from it
(`send=lambda data: ReserveStock(order_id=data.order_id, lines=data.lines)`), so a
misspelt field fails type checking, not a saga in production.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Generic, TypeVar

from pydantic import BaseModel

from shopflow_kit.messaging import Message

D = TypeVar("D", bound=BaseModel)


@dataclass(frozen=True)
class Compensation(Generic[D]):
    send: Callable[[D], Message]
    to: str  # topic
    done_when: type[Message]  # the reply that says it is undone


@dataclass(frozen=True)
class Step(Generic[D]):
    name: str
    send: Callable[[D], Message]
    to: str  # topic
    succeeded: type[Message]
    failed: Mapping[type[Message], str] = field(default_factory=dict)  # reply → reason
    compensation: Compensation[D] | None = None


@dataclass(frozen=True)
class SagaDefinition(Generic[D]):
    name: str
    data: type[D]  # the model of the saga's data
    steps: tuple[Step[D], ...]
    # How long a participant has to answer a command, from when it was *published*: the
    # store restarts the clock while the command waits in the outbox (ADR 0018). Each
    # resend waits longer, at random within a band, up to MAX_BACKOFF_FACTOR × this.
    step_deadline: timedelta = timedelta(seconds=10)
    max_attempts: int = 3  # sends of one command before the saga gives up on the step
    # Sends of a command that cannot time out (an undo; a step past the point of no return)
    # before the saga stops resending and waits for an operator ("needs attention").
    max_resends_unanswerable: int = 10
    timeout_reason: str = "timed_out"
    cancel_reason: str = "cancelled"

    def __post_init__(self) -> None:
        undoable = [step.compensation is not None for step in self.steps]
        if undoable != sorted(undoable, reverse=True):
            raise ValueError(f"{self.name}: a step that can be undone follows one that cannot")

    @property
    def commit_step(self) -> int:
        """The index of the first step that cannot be undone (len(steps) if none)."""
        return next(
            (i for i, step in enumerate(self.steps) if step.compensation is None),
            len(self.steps),
        )

    def expected_replies(self) -> set[type[Message]]:
        replies: set[type[Message]] = set()
        for step in self.steps:
            replies |= {step.succeeded, *step.failed}
            if step.compensation:
                replies.add(step.compensation.done_when)
        return replies
