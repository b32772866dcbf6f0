"""Whatever the interleaving of replies, duplicates, slow participants, deadlines and
cancellations, the saga ends in exactly one terminal state, and the world agrees with
it: completed means stock committed and money kept; cancelled means neither.

The participants are simulated as the real ones behave: each handles its commands in
the order sent (one Kafka partition per order), idempotently, and answers every one,
possibly late and possibly twice.
"""

from collections import deque
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopflow_kit.saga import CancelRefusedError, Saga, SagaState, SagaStatus
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

ID = DATA.id


@dataclass
class World:
    in_stock: bool
    card_ok: bool
    reserved: str | None = None  # None, "held", "committed", "released", "rejected"
    charged: str | None = None  # None, "charged", "refunded", "declined"
    commands: dict[str, deque[str]] = field(
        default_factory=lambda: {"stock": deque(), "money": deque()}
    )
    replies: list[object] = field(default_factory=list)

    def handle(self, topic: str) -> None:
        """The participant on `topic` handles its oldest command, idempotently, and answers."""
        command = self.commands[topic].popleft()
        if command == "Reserve":
            self.reserved = self.reserved or ("held" if self.in_stock else "rejected")
            reply = Reserved(id=ID) if self.reserved != "rejected" else Rejected(id=ID)
        elif command == "Release":
            self.reserved = "released" if self.reserved in (None, "held") else self.reserved
            reply = Released(id=ID)
        elif command == "Commit":
            assert self.reserved in ("held", "committed"), "commit of stock not held"
            self.reserved, reply = "committed", Committed(id=ID)
        elif command == "Charge":
            self.charged = self.charged or ("charged" if self.card_ok else "declined")
            reply = Charged(id=ID) if self.charged != "declined" else Declined(id=ID)
            if self.charged == "refunded":  # a charge that arrives after its refund: no-op
                reply = Declined(id=ID)
        else:  # Refund: whatever was charged, if anything
            self.charged = "refunded" if self.charged in (None, "charged") else self.charged
            reply = Refunded(id=ID)
        self.replies.append(reply)


def run(world: World, decision) -> SagaState:
    """Put the decision's commands in flight; the saga's new state."""
    for outgoing in decision.send:
        world.commands[outgoing.topic].append(outgoing.message.TYPE)
    return decision.state


@settings(max_examples=400, deadline=None)
@given(in_stock=st.booleans(), card_ok=st.booleans(), data=st.data())
def test_every_run_ends_in_one_terminal_state_that_the_world_agrees_with(in_stock, card_ok, data):
    saga, world, now = Saga(DEFINITION), World(in_stock, card_ok), T0
    state = run(world, saga.start(DATA, now))
    terminal_states = set()
    for _ in range(60):
        options = ["stock", "money", "reply", "duplicate", "deadline", "cancel"]
        move = data.draw(st.sampled_from(options))
        if move in ("stock", "money") and world.commands[move]:
            world.handle(move)
        elif move in ("reply", "duplicate") and world.replies:
            index = data.draw(st.integers(0, len(world.replies) - 1))
            reply = world.replies[index] if move == "duplicate" else world.replies.pop(index)
            state = run(world, saga.on_reply(state, DATA, reply, now))
        elif move == "deadline" and state.deadline_at:
            now = state.deadline_at
            state = run(world, saga.on_deadline(state, DATA, now))
        elif move == "cancel":
            try:
                state = run(world, saga.request_cancel(state))
            except CancelRefusedError:
                assert state.status in (SagaStatus.COMMITTED, SagaStatus.COMPLETED)
        if state.finished:
            terminal_states.add(state.status)

    # Then the world settles: every command handled, every reply delivered, in any order.
    while not state.finished:
        for topic in ("stock", "money"):
            while world.commands[topic]:
                world.handle(topic)
        if world.replies:
            reply = world.replies.pop(data.draw(st.integers(0, len(world.replies) - 1)))
            state = run(world, saga.on_reply(state, DATA, reply, now))
        elif not state.finished:
            now = state.deadline_at
            state = run(world, saga.on_deadline(state, DATA, now))
    for topic in ("stock", "money"):
        while world.commands[topic]:
            world.handle(topic)  # late resends still in flight change nothing

    terminal_states.add(state.status)
    assert len(terminal_states) == 1, "a finished saga changed its mind"
    if state.status is SagaStatus.COMPLETED:
        assert (world.reserved, world.charged) == ("committed", "charged")
    else:
        assert world.reserved in (None, "released", "rejected")
        assert world.charged in (None, "refunded", "declined")
