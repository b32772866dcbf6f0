"""The invariant checks on worlds built by hand: a consistent one passes, and each break
is reported once, under its own kind, with the ids that find it."""

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from shopflow_drills.audit.invariants import check_world
from shopflow_drills.audit.world import (
    Charge,
    Notification,
    Order,
    Payment,
    Reservation,
    Saga,
    Stock,
    World,
)

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SKU = "MUG-001"


def order(n: int, status: str, reason: str | None = None, quantity: int = 2) -> Order:
    return Order(
        id=f"order-{n}",
        customer_id="alice",
        status=status,
        reason=reason,
        total=1000 * quantity,
        currency="EUR",
        created_at=T0,
        updated_at=T0 + timedelta(seconds=1),
        lines={SKU: quantity},
    )


def consistent_world() -> World:
    """Order 1 confirmed (2 units sold, charged 2000), order 2 declined (stock released),
    order 3 out of stock (rejected), on a product stocked with 10."""
    confirmed, declined, rejected = (
        order(1, "CONFIRMED"),
        order(2, "CANCELLED", "payment_declined"),
        order(3, "CANCELLED", "out_of_stock", quantity=50),
    )
    return World(
        orders={o.id: o for o in (confirmed, declined, rejected)},
        sagas={
            "order-1": Saga("order-1", "COMPLETED", 2, 1, T0),
            "order-2": Saga("order-2", "CANCELLED", 1, 1, T0),
            "order-3": Saga("order-3", "CANCELLED", 0, 1, T0),
        },
        reservations={
            "order-1": Reservation("order-1", "COMMITTED", {SKU: 2}),
            "order-2": Reservation("order-2", "RELEASED", {SKU: 2}),
            "order-3": Reservation("order-3", "REJECTED", {SKU: 50}),
        },
        stock=[Stock(SKU, stocked=10, available=8, reserved=0, sold=2)],
        payments={
            "order-1": Payment("order-1", "CHARGED", 2000, "ch_1"),
            "order-2": Payment("order-2", "DECLINED", 2000, "ch_2"),
        },
        charges=[
            Charge("ch_1", "order-1", succeeded=True, amount=2000, refunded=0, currency="EUR"),
            Charge("ch_2", "order-2", succeeded=False, amount=2000, refunded=0, currency="EUR"),
        ],
        notifications=[
            Notification("order-1", "ORDER_CONFIRMED"),
            Notification("order-2", "ORDER_CANCELLED"),
            Notification("order-3", "ORDER_CANCELLED"),
        ],
    )


def kinds(world: World) -> list[str]:
    return sorted(v.kind for v in check_world(world))


def test_a_consistent_world_has_no_violation():
    assert check_world(consistent_world()) == []


def test_an_order_still_pending_is_not_final():
    world = consistent_world()
    world.orders["order-4"] = order(4, "PENDING", quantity=1)
    world.sagas["order-4"] = Saga("order-4", "RUNNING", 0, 3, T0)
    violations = check_world(world)
    assert [(v.kind, v.ids) for v in violations] == [("order-not-final", ("order-4",))]
    assert "attempt 3" in violations[0].detail


def test_an_order_whose_saga_says_otherwise():
    world = consistent_world()
    world.sagas["order-1"] = Saga("order-1", "CANCELLED", 2, 1, T0)
    assert kinds(world) == ["saga-disagrees"]


def test_a_confirmed_order_whose_stock_is_still_being_committed():
    world = consistent_world()
    world.sagas["order-1"] = Saga("order-1", "COMMITTED", 2, 1, T0)
    world.reservations["order-1"] = Reservation("order-1", "RESERVED", {SKU: 2})
    world.stock = [Stock(SKU, 10, 8, 2, 0)]
    assert kinds(world) == ["reservation-of-final-order", "saga-not-finished", "stock-reserved"]


def test_a_saga_without_its_order():
    world = consistent_world()
    world.sagas["order-9"] = Saga("order-9", "COMPLETED", 2, 1, T0)
    assert kinds(world) == ["saga-without-order"]


def test_a_confirmed_order_without_payment_or_charge():
    world = consistent_world()
    del world.payments["order-1"]
    world.charges = [c for c in world.charges if c.id != "ch_1"]
    assert kinds(world) == ["confirmed-not-charged", "confirmed-without-charge"]


def test_a_confirmed_order_charged_another_amount():
    world = consistent_world()
    world.charges[0] = dataclasses.replace(world.charges[0], amount=1999)
    assert kinds(world) == ["charge-amount"]


def test_a_confirmed_order_refunded_at_the_provider():
    world = consistent_world()
    world.charges[0] = dataclasses.replace(world.charges[0], refunded=2000)
    assert kinds(world) == ["confirmed-refunded", "payment-disagrees"]


def test_a_confirmed_order_whose_stock_was_released():
    world = consistent_world()
    world.reservations["order-1"] = Reservation("order-1", "RELEASED", {SKU: 2})
    world.stock = [Stock(SKU, 10, 10, 0, 0)]
    assert kinds(world) == ["stock-not-committed"]


def test_a_cancelled_order_whose_charge_was_kept():
    world = consistent_world()
    world.charges[1] = dataclasses.replace(world.charges[1], succeeded=True)
    world.payments["order-2"] = Payment("order-2", "REFUNDED", 2000, "ch_2")
    violations = check_world(world)
    assert [(v.kind, v.ids) for v in violations] == [
        ("cancelled-not-refunded", ("order-2", "ch_2")),
        ("payment-disagrees", ("order-2", "ch_2")),
    ]


def test_a_cancelled_order_still_holding_stock():
    world = consistent_world()
    world.reservations["order-2"] = Reservation("order-2", "RESERVED", {SKU: 2})
    world.stock = [Stock(SKU, 10, 6, 2, 2)]
    assert kinds(world) == ["reservation-of-final-order", "stock-reserved"]


def test_stock_sold_for_a_cancelled_order():
    world = consistent_world()
    world.reservations["order-2"] = Reservation("order-2", "COMMITTED", {SKU: 2})
    world.stock = [Stock(SKU, 10, 6, 0, 4)]
    assert kinds(world) == ["sold-for-cancelled"]


def test_a_broken_stock_equation():
    world = consistent_world()
    world.stock = [Stock(SKU, 10, 9, 0, 2)]
    assert kinds(world) == ["stock-equation"]


def test_stock_counts_that_the_reservations_do_not_explain():
    world = consistent_world()
    world.stock = [Stock(SKU, 10, 7, 0, 3)]
    violations = check_world(world)
    assert [v.kind for v in violations] == ["stock-ledger"]
    assert "3 sold, reservations say 2" in violations[0].detail


def test_a_leaked_reservation_of_an_unknown_order():
    world = consistent_world()
    world.reservations["ghost"] = Reservation("ghost", "RESERVED", {SKU: 1})
    world.stock = [Stock(SKU, 10, 7, 1, 2)]
    assert kinds(world) == ["reservation-without-order", "stock-reserved"]


def test_an_orphan_charge_at_the_provider():
    world = consistent_world()
    world.charges.append(Charge("ch_9", "order-9", True, 500, 0, "EUR"))
    violations = check_world(world)
    assert [(v.kind, v.ids) for v in violations] == [("orphan-charge", ("order-9", "ch_9"))]


def test_an_order_charged_twice():
    world = consistent_world()
    world.charges.append(Charge("ch_1b", "order-1", True, 2000, 0, "EUR"))
    assert kinds(world) == ["double-charge", "orphan-charge"]


def test_a_payment_naming_a_charge_the_ledger_lacks():
    world = consistent_world()
    world.payments["order-1"] = Payment("order-1", "CHARGED", 2000, "ch_missing")
    assert kinds(world) == ["orphan-charge", "payment-without-charge"]


def test_a_payment_of_an_unknown_order():
    world = consistent_world()
    world.payments["order-9"] = Payment("order-9", "FAILED", None, None)
    assert kinds(world) == ["payment-without-order"]


def test_customers_told_nothing_or_the_wrong_thing():
    world = consistent_world()
    world.notifications = [
        Notification("order-1", "ORDER_CANCELLED"),
        Notification("order-3", "ORDER_CANCELLED"),
        Notification("order-9", "ORDER_CONFIRMED"),
    ]
    assert kinds(world) == [
        "notification-contradicts",
        "notification-missing",
        "notification-without-order",
    ]
