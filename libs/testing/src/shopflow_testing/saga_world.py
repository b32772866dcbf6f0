"""The place-order saga's world, modelled for the saga engine's property test: inventory and
payment as the real services behave, a bus that delivers late, twice or not at all, and
an observer that keeps the order as the order service does and checks every decision.

The participants follow `services/inventory/.../service.py` and
`services/payment/.../service.py`: each command is handled once per order, whatever is
redelivered; a release or refund that comes before anything was held leaves a tombstone,
so a reserve or charge arriving after it (a replayed dead letter) holds nothing; a
command the service refuses is dead-lettered, unanswered.
"""

from __future__ import annotations

import random
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from shopflow_kit.messaging import Message
from shopflow_kit.saga import CancelRefusedError, Decision, Saga, SagaState, SagaStatus
from shopflow_testing.sample_saga import (
    DATA,
    T0,
    Charged,
    Committed,
    Declined,
    Refunded,
    Rejected,
    Released,
    Reserved,
    SampleData,
)

Topic = Literal["stock", "money"]
TOPICS: tuple[Topic, ...] = ("stock", "money")
ID = DATA.id
UNDO = {"Release": "Released", "Refund": "Refunded"}  # a compensation → its confirmation
FORWARD = ("Reserve", "Charge", "Commit")  # each step's command, in step order


class Inventory:
    """Reservations as inventory keeps them: once per order; a release before the reserve
    leaves a tombstone, so the reserve holds nothing and answers that the stock is released;
    a commit of stock not held and a release of stock sold are refused."""

    def __init__(self, in_stock: bool) -> None:
        self.in_stock = in_stock
        # None, "held", "committed", "released", "rejected", "tombstone"
        self.reservation: str | None = None

    def handle(self, command: str) -> Message | None:
        """The reply, or None: refused, so dead-lettered."""
        if command == "Reserve":
            if self.reservation is None:
                self.reservation = "held" if self.in_stock else "rejected"
            if self.reservation == "tombstone":  # released before it came: nothing is held
                return Released(id=ID)
            return Rejected(id=ID) if self.reservation == "rejected" else Reserved(id=ID)
        if command == "Release":
            if self.reservation == "committed":
                return None
            if self.reservation in (None, "held"):
                self.reservation = "tombstone" if self.reservation is None else "released"
            return Released(id=ID)
        if self.reservation not in ("held", "committed"):  # Commit
            return None
        self.reservation = "committed"
        return Committed(id=ID)

    @property
    def holds_stock(self) -> bool:
        return self.reservation in ("held", "committed")


class Payments:
    """Payments as the payment service keeps them: one charge per order; a refund before
    any charge leaves a tombstone, so a later charge takes nothing and is declined."""

    def __init__(self, card_ok: bool) -> None:
        self.card_ok = card_ok
        self.payment: str | None = None  # None, "charged", "declined", "refunded", "tombstone"

    def handle(self, command: str) -> Message:
        if command == "Charge":
            if self.payment is None:
                self.payment = "charged" if self.card_ok else "declined"
            return Charged(id=ID) if self.payment == "charged" else Declined(id=ID)
        if self.payment in (None, "charged"):  # Refund
            self.payment = "tombstone" if self.payment is None else "refunded"
        return Refunded(id=ID)

    @property
    def keeps_money(self) -> bool:
        return self.payment == "charged"


@dataclass
class World:
    inventory: Inventory
    payments: Payments
    queues: dict[Topic, deque[Message]] = field(
        default_factory=lambda: {topic: deque() for topic in TOPICS}
    )
    replies: list[Message] = field(default_factory=list)
    dead_letters: list[tuple[Topic, Message]] = field(default_factory=list)

    def handle(self, topic: Topic) -> None:
        """The participant on `topic` handles its oldest command and answers (or refuses)."""
        command = self.queues[topic].popleft()
        participant = self.inventory if topic == "stock" else self.payments
        reply = participant.handle(command.TYPE)
        if reply is None:
            self.dead_letters.append((topic, command))
        else:
            self.replies.append(reply)

    def dead_letter(self, topic: Topic) -> None:
        """The participant gives up on its oldest command (it kept failing): no effect, no reply."""
        self.dead_letters.append((topic, self.queues[topic].popleft()))

    def replay(self, index: int) -> None:
        """An operator replays a dead letter: the command is delivered again, at the end."""
        topic, command = self.dead_letters.pop(index)
        self.queues[topic].append(command)

    @property
    def busy(self) -> bool:
        return any(self.queues.values())


@dataclass
class Observer:
    """The order as the orchestrator keeps it from the saga's decisions, and the checks
    every decision must pass. Anything wrong is an AssertionError."""

    saga: Saga[SampleData]
    world: World
    state: SagaState | None = None
    order: str = "PENDING"  # CONFIRMED on the `committed` flag, CANCELLED on `cancelled`
    reason: str | None = None
    sends: Counter[str] = field(default_factory=Counter)  # every command sent, by type
    undoing: bool = False  # a compensation was sent: the saga is undoing its work
    undo_sent: set[str] = field(default_factory=set)  # compensations sent
    undo_confirmed: set[str] = field(default_factory=set)  # their confirmations delivered
    cancel_recorded: bool = False  # the customer asked while nothing was being undone
    step_command: str | None = None  # the forward command sent last: the step under way
    deadlines: int = 0

    @property
    def finished(self) -> bool:
        assert self.state is not None
        return self.state.finished

    def start(self, now: datetime) -> None:
        self.apply(self.saga.start(DATA, now))

    def reply(self, reply: Message, now: datetime) -> None:
        assert self.state is not None
        if self.undoing and reply.TYPE in UNDO.values():
            self.undo_confirmed.add(reply.TYPE)
        self.apply(self.saga.on_reply(self.state, DATA, reply, now))

    def deadline(self) -> datetime:
        """Let the saga's deadline pass; returns the new now."""
        assert self.state is not None
        assert self.state.deadline_at is not None
        now = self.state.deadline_at
        self.deadlines += 1
        self.apply(self.saga.on_deadline(self.state, DATA, now))
        return now

    def cancel(self) -> None:
        assert self.state is not None
        try:
            decision = self.saga.request_cancel(self.state)
        except CancelRefusedError:
            assert self.order == "CONFIRMED", "a cancel refused before the order was confirmed"
            return
        assert self.order != "CONFIRMED", "a cancel accepted after the order was confirmed"
        if self.order == "PENDING" and not self.undoing:
            self.cancel_recorded = True
        self.apply(decision)

    def apply(self, decision: Decision) -> None:
        definition = self.saga.definition
        for outgoing in decision.send:
            command = outgoing.message.TYPE
            self.sends[command] += 1
            if command in UNDO:
                self.undoing = True
                self.undo_sent.add(command)
            else:
                assert not self.undoing, f"{command} sent while undoing"
                self.step_command = command
            if command in FORWARD[:2]:  # a step that can be undone gives up after so many
                assert self.sends[command] <= definition.max_attempts, f"{command} sent too often"
            else:  # an undo or the last step: resent up to a bound, then an operator is asked
                bound = definition.max_resends_unanswerable
                assert self.sends[command] <= bound, f"{command} resent without end"
            self.world.queues[outgoing.topic].append(outgoing.message)  # type: ignore[index]
        state = decision.state
        timed_out = state.reason == definition.timeout_reason
        if timed_out and (self.state is None or self.state.reason != state.reason):
            # The step timed out: only after its command was sent max_attempts times.
            sent = self.sends[self.step_command or ""]
            assert sent == definition.max_attempts, f"timed out after {sent} sends"
        if decision.committed:
            assert self.order == "PENDING", f"committed when the order was {self.order}"
            assert self.world.payments.keeps_money, "confirmed without the money"
            assert self.world.inventory.reservation == "held", "confirmed without the stock"
            assert not self.undoing, "confirmed while undoing"
            self.order = "CONFIRMED"
        if decision.cancelled:
            assert self.order == "PENDING", f"cancelled when the order was {self.order}"
            missing = {UNDO[c] for c in self.undo_sent} - self.undo_confirmed
            assert not missing, f"cancelled before {missing} confirmed the undo"
            assert not self.world.payments.keeps_money, "cancelled with the money kept"
            assert not self.world.inventory.holds_stock, "cancelled with the stock held"
            assert state.reason is not None, "cancelled without a reason"
            self.order, self.reason = "CANCELLED", state.reason
        if state.finished:
            expected = "CONFIRMED" if state.status is SagaStatus.COMPLETED else "CANCELLED"
            assert self.order == expected, f"saga {state.status}, order {self.order}"
        if self.state is not None and self.state.finished:
            assert state == self.state, "a finished saga changed its mind"
            assert not decision.send, "a finished saga sent a command"
        self.state = state


Pick = Callable[[Sequence[Any]], Any]
"""Chooses one of the options: the run's only source of randomness."""


def picking(seed: int) -> Pick:
    """Picks at random from `seed`: a whole run is replayed from one number. (Hypothesis
    drawing every choice itself would shrink a failure better, but runs ~50 times slower.)"""
    return random.Random(seed).choice


MOVES = 60  # random moves before the world settles
SETTLE_ROUNDS = 200  # a saga that has not finished by then never will: a liveness failure
SETTLE_MOVES = ("settle", "settle", "settle", "cancel")
MOVE_KINDS = (
    "handle",
    "handle",
    "dead-letter",
    "replay",
    "reply",
    "duplicate",
    "deadline",
    "cancel",
)


def run_saga(saga: Saga[SampleData], in_stock: bool, card_ok: bool, pick: Pick) -> None:
    """One run of the saga in a random world, every decision checked by an `Observer`,
    then the outcome; an AssertionError says what went wrong."""
    world = World(Inventory(in_stock), Payments(card_ok))
    observer, now = Observer(saga, world), T0
    observer.start(now)
    dead_lettered = False
    for _ in range(MOVES):
        now = _move(observer, world, pick(MOVE_KINDS), pick, now)
        dead_lettered = dead_lettered or bool(world.dead_letters)

    # The world settles: every dead letter replayed once (as `make dlq replay=--all` does),
    # every command handled, every reply delivered, deadlines passing when nothing comes;
    # the customer may still cancel.
    while world.dead_letters:
        world.replay(0)
    for _ in range(SETTLE_ROUNDS):
        if observer.finished:
            break
        for topic in TOPICS:
            while world.queues[topic]:
                world.handle(topic)
        if pick(SETTLE_MOVES) == "cancel":  # a customer may still ask, at any step
            observer.cancel()
        if world.replies:
            observer.reply(world.replies.pop(pick(range(len(world.replies)))), now)
        elif not observer.finished:
            now = observer.deadline()
    assert observer.finished, f"still {observer.state} with the world answering"
    for topic in TOPICS:  # late resends still in flight change nothing
        while world.queues[topic]:
            world.handle(topic)
    for reply in world.replies:
        observer.reply(reply, now)
    _check_outcome(observer, world, undisturbed=not dead_lettered)


def _move(observer: Observer, world: World, move: str, pick: Pick, now: datetime) -> datetime:
    if move in ("handle", "dead-letter"):
        if topics := [topic for topic in TOPICS if world.queues[topic]]:
            topic = pick(topics)
            if move == "handle":
                world.handle(topic)
            else:
                world.dead_letter(topic)
    elif move == "replay" and world.dead_letters:
        world.replay(pick(range(len(world.dead_letters))))
    elif move in ("reply", "duplicate") and world.replies:
        index = pick(range(len(world.replies)))
        reply = world.replies[index] if move == "duplicate" else world.replies.pop(index)
        observer.reply(reply, now)
    elif move == "deadline" and observer.state and observer.state.deadline_at:
        now = observer.deadline()
    elif move == "cancel":
        observer.cancel()
    return now


def _check_outcome(observer: Observer, world: World, *, undisturbed: bool) -> None:
    definition = observer.saga.definition
    assert observer.state is not None
    if observer.state.status is SagaStatus.COMPLETED:
        assert world.inventory.reservation == "committed", "completed, stock not sold"
        assert world.payments.payment == "charged", "completed, money not kept"
    else:
        assert not world.inventory.holds_stock, f"cancelled, stock {world.inventory.reservation}"
        assert not world.payments.keeps_money, "cancelled, money kept"

    customer = definition.cancel_reason
    if observer.cancel_recorded:
        expected: tuple[str, str | None] = ("CANCELLED", customer)
    elif undisturbed and observer.deadlines < definition.max_attempts:
        # Nothing lost, nothing timed out, nobody cancelled: the world alone decides.
        if world.inventory.in_stock and world.payments.card_ok:
            expected = ("CONFIRMED", None)
        else:
            expected = ("CANCELLED", "declined" if world.inventory.in_stock else "out_of_stock")
    else:
        assert observer.reason != customer, "cancelled_by_customer, but no cancel was recorded"
        assert observer.reason != "out_of_stock" or not world.inventory.in_stock
        assert observer.reason != "declined" or not world.payments.card_ok
        return
    assert (observer.order, observer.reason) == expected
