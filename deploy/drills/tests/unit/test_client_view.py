"""What clients were told, held against the shop: lost, doubled and unacknowledged orders."""

from datetime import UTC, datetime, timedelta

import pytest

from shopflow_drills.audit.client_view import client_violations
from shopflow_drills.audit.world import IdempotencyKey, Order, World
from shopflow_drills.load.record import Attempt, ClientOrder, LoadRecord, Outcome

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def shop_order(order_id: str, status: str = "CONFIRMED") -> Order:
    return Order(order_id, "alice", status, None, 1000, "EUR", T0, T0, {"MUG-001": 1})


def client(key: str, *answers: tuple[int | None, str | None]) -> ClientOrder:
    attempts = [
        Attempt(sent_at=n, latency=0.01, status=status, order_id=order_id)
        for n, (status, order_id) in enumerate(answers)
    ]
    return ClientOrder(
        key=key, customer="alice", kind="approved", scheduled_at=0, attempts=attempts
    )


def record(*orders: ClientOrder) -> LoadRecord:
    return LoadRecord(
        gateway="http://gateway",
        started_at=T0,
        rate=1,
        duration=1,
        mix={"approved": 1},
        skus={},
        orders=list(orders),
    )


def violations(world: World, *orders: ClientOrder) -> list[tuple[str, tuple[str, ...]]]:
    return [(v.kind, v.ids) for v in client_violations(record(*orders), world)]


def test_what_the_clients_saw_agrees_with_the_shop():
    world = World(
        orders={"o1": shop_order("o1")},
        idempotency_keys=[IdempotencyKey("alice", "k1", "o1")],
    )
    retried = client("k1", (503, None), (None, None), (202, "o1"))
    refused = client("k2", (429, None), (503, None))
    assert violations(world, retried, refused) == []


def test_an_accepted_order_the_shop_does_not_have_is_lost():
    assert violations(World(), client("k1", (202, "o1"))) == [("lost-order", ("o1", "k1"))]


def test_one_key_answered_with_two_orders():
    world = World(orders={"o1": shop_order("o1"), "o2": shop_order("o2")})
    assert violations(world, client("k1", (202, "o1"), (202, "o2"))) == [
        ("key-two-orders", ("k1", "o1", "o2"))
    ]


def test_the_key_table_naming_another_order_than_the_client_got():
    world = World(
        orders={"o1": shop_order("o1"), "o2": shop_order("o2")},
        idempotency_keys=[IdempotencyKey("alice", "k1", "o2")],
    )
    assert violations(world, client("k1", (202, "o1"))) == [("key-two-orders", ("k1", "o1", "o2"))]


def test_an_order_placed_for_a_client_that_was_told_no():
    world = World(
        orders={"o1": shop_order("o1")},
        idempotency_keys=[IdempotencyKey("alice", "k1", "o1")],
    )
    assert violations(world, client("k1", (503, None), (422, None))) == [
        ("unacknowledged-order", ("k1", "o1"))
    ]


def test_a_client_told_nothing_it_could_rely_on_does_not_know_and_is_not_lied_to():
    """A 503 or no answer after the commit (the service died answering): the order exists
    and the client does not know yet; its key must converge when it asks again."""
    world = World(
        orders={"o1": shop_order("o1")},
        idempotency_keys=[IdempotencyKey("alice", "k1", "o1")],
    )
    unanswered = client("k1", (503, None), (None, None))
    assert violations(world, unanswered) == []

    back = Attempt(sent_at=9, latency=0.01, status=202, order_id="o1", late=True)
    unanswered.attempts.append(back)
    assert violations(world, unanswered) == []
    assert unanswered.accepted_late
    assert unanswered.accepted_after is None  # it gave up: coming back is no wait


def test_a_key_that_does_not_converge_when_its_client_comes_back():
    world = World(
        orders={"o1": shop_order("o1")},
        idempotency_keys=[IdempotencyKey("alice", "k1", "o1")],
    )
    back = client("k1", (503, None))
    back.attempts.append(Attempt(sent_at=9, latency=0.01, status=502, late=True))
    assert violations(world, back) == [("key-not-converged", ("k1", "o1"))]

    another = client("k2", (503, None))
    another.attempts.append(Attempt(sent_at=9, latency=0.01, status=202, order_id="o2", late=True))
    world.orders["o2"] = shop_order("o2")
    world.idempotency_keys.append(IdempotencyKey("alice", "k2", "o1"))
    assert violations(world, another) == [("key-two-orders", ("k2", "o2", "o1"))]


def test_a_final_outcome_that_changed_afterwards():
    world = World(orders={"o1": shop_order("o1", "CANCELLED")})
    seen = client("k1", (202, "o1"))
    seen.outcome = Outcome(
        status="CONFIRMED",
        total=1000,
        created_at=T0,
        updated_at=T0 + timedelta(seconds=1),
        observed_at=2.0,
    )
    assert violations(world, seen) == [("outcome-changed", ("o1",))]
