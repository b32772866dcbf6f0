"""DESIGN.md's invariants 1–4 (and what customers are told), checked on a `World`.

Pure functions: a world in, violations out, no I/O; the unit tests feed them worlds with
one thing broken at a time. Each order is judged once by its final state, so one broken
order is one violation under the invariant it breaks, not an echo under every other.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

from shopflow_drills.audit.violations import Violation
from shopflow_drills.audit.world import Charge, Order, World

# The saga states each order status may have: CONFIRMED once paid (its stock may still
# be committing), CANCELLED once every undo is confirmed.
SAGA_STATES_FOR = {
    "PENDING": frozenset({"RUNNING", "COMPENSATING"}),
    "CONFIRMED": frozenset({"COMMITTED", "COMPLETED"}),
    "CANCELLED": frozenset({"CANCELLED"}),
}
NOTIFICATION_FOR = {"CONFIRMED": "ORDER_CONFIRMED", "CANCELLED": "ORDER_CANCELLED"}
HOLDING = frozenset({"RESERVED", "COMMITTED"})  # reservation states that tie up units


def check_world(world: World) -> list[Violation]:
    return [
        *orders_are_final(world),
        *money_and_stock_follow_the_order(world),
        *stock_adds_up(world),
        *ledger_agrees_with_payments(world),
        *customers_are_told(world),
    ]


def orders_are_final(world: World) -> Iterator[Violation]:
    """Invariant 1: every order final, its saga finished and agreeing with it."""
    for order in world.orders.values():
        saga = world.sagas.get(order.id)
        if saga is None:
            yield _order("1", "order-without-saga", order, f"is {order.status} with no saga")
        elif not order.final:
            where = f"its saga {saga.status} at step {saga.step}, attempt {saga.attempts}"
            yield _order("1", "order-not-final", order, f"is still {order.status} ({where})")
        elif saga.status not in SAGA_STATES_FOR.get(order.status, ()):
            yield _order("1", "saga-disagrees", order, f"is {order.status}, its saga {saga.status}")
        elif not saga.finished:
            yield _order("1", "saga-not-finished", order, f"is {order.status}, saga {saga.status}")
    for saga_id in sorted(world.sagas.keys() - world.orders.keys()):
        yield Violation("1", "saga-without-order", f"saga {saga_id} has no order", (saga_id,))


def money_and_stock_follow_the_order(world: World) -> Iterator[Violation]:
    """Invariant 2: confirmed → charged once for the total, kept, stock sold;
    cancelled → nothing kept at the provider, no stock held."""
    charges = world.charges_by_order()
    for order in world.orders.values():
        if order.status == "CONFIRMED":
            yield from _confirmed(world, order, charges.get(order.id, []))
        elif order.status == "CANCELLED":
            yield from _cancelled(world, order, charges.get(order.id, []))


def _confirmed(world: World, order: Order, charges: Sequence[Charge]) -> Iterator[Violation]:
    payment = world.payments.get(order.id)
    if payment is None or payment.status != "CHARGED":
        status = payment.status if payment else "no payment"
        yield _order("2", "confirmed-not-charged", order, f"is CONFIRMED; payment: {status}")
    elif payment.amount != order.total:
        yield _order("2", "payment-amount", order, f"totals {order.total}, paid {payment.amount}")
    succeeded = [c for c in charges if c.succeeded]
    if not succeeded:
        yield _order("2", "confirmed-without-charge", order, "has no charge at the provider")
    for charge in succeeded:  # more than one is invariant 4's double charge
        ids = (order.id, charge.id)
        if (charge.amount, charge.currency) != (order.total, order.currency):
            money = f"{charge.amount} {charge.currency}, not {order.total} {order.currency}"
            yield _order("2", "charge-amount", order, f"charged {money}", ids)
        if charge.refunded:
            yield _order("2", "confirmed-refunded", order, f"refunded {charge.refunded}", ids)
    reservation = world.reservations.get(order.id)
    if reservation is None or reservation.status != "COMMITTED":
        status = reservation.status if reservation else "no reservation"
        kind = "reservation-of-final-order" if status == "RESERVED" else "stock-not-committed"
        yield _order("2", kind, order, f"is CONFIRMED; its stock: {status}")
    elif dict(reservation.lines) != dict(order.lines):
        lines = f"sold {dict(reservation.lines)}, ordered {dict(order.lines)}"
        yield _order("2", "stock-lines-differ", order, lines)


def _cancelled(world: World, order: Order, charges: Sequence[Charge]) -> Iterator[Violation]:
    if kept := [c for c in charges if c.kept]:
        money = sum(c.kept for c in kept)
        ids = (order.id, *(c.id for c in kept))
        yield _order("2", "cancelled-not-refunded", order, f"is CANCELLED; {money} kept", ids)
    payment = world.payments.get(order.id)
    if payment is not None and payment.status == "CHARGED":
        yield _order("2", "cancelled-payment-charged", order, "is CANCELLED; payment CHARGED")
    reservation = world.reservations.get(order.id)
    if reservation is not None and reservation.status in HOLDING:
        kind = (
            "reservation-of-final-order"
            if reservation.status == "RESERVED"
            else "sold-for-cancelled"
        )
        yield _order("2", kind, order, f"is CANCELLED; its stock: {reservation.status}")


def stock_adds_up(world: World) -> Iterator[Violation]:
    """Invariant 3: per product, stocked = available + reserved + sold, nothing reserved
    once quiet, and reserved and sold are exactly what the reservations hold."""
    held: Counter[tuple[str, str]] = Counter()  # (status, sku) → units
    for reservation in world.reservations.values():
        if reservation.status in HOLDING:
            for sku, quantity in reservation.lines.items():
                held[reservation.status, sku] += quantity
            if reservation.order_id not in world.orders:
                yield Violation(
                    "3",
                    "reservation-without-order",
                    f"{reservation.status} stock for order {reservation.order_id}, unknown "
                    f"to the order service: {dict(reservation.lines)}",
                    (reservation.order_id, *reservation.lines),
                )
    for s in world.stock:
        if s.stocked != s.available + s.reserved + s.sold:
            where = f"{s.available} available + {s.reserved} reserved + {s.sold} sold"
            yield Violation(
                "3", "stock-equation", f"{s.sku}: {s.stocked} stocked ≠ {where}", (s.sku,)
            )
        if s.reserved:
            yield Violation(
                "3", "stock-reserved", f"{s.sku}: {s.reserved} units reserved", (s.sku,)
            )
        for status, column, units in (
            ("RESERVED", "reserved", s.reserved),
            ("COMMITTED", "sold", s.sold),
        ):
            if units != held[status, s.sku]:
                ledger = f"{units} {column}, reservations say {held[status, s.sku]}"
                yield Violation("3", "stock-ledger", f"{s.sku}: {ledger}", (s.sku,))


def ledger_agrees_with_payments(world: World) -> Iterator[Violation]:
    """Invariant 4: every charge at the provider is the one the payment service recorded,
    no order is charged twice, and each payment's status is what the ledger says."""
    charges = world.charges_by_order()
    for order_id, of_order in sorted(charges.items()):
        succeeded = [c.id for c in of_order if c.succeeded]
        if len(succeeded) > 1:
            detail = f"order {order_id} charged {len(succeeded)} times: {', '.join(succeeded)}"
            yield Violation("4", "double-charge", detail, (order_id, *succeeded))
        payment = world.payments.get(order_id)
        for charge in of_order:
            if payment is None or payment.provider_charge_id != charge.id:
                recorded = payment.provider_charge_id if payment else "no payment"
                detail = (
                    f"charge {charge.id} ({'succeeded' if charge.succeeded else 'failed'}, "
                    f"{charge.kept} kept) for order {order_id}: payment service has {recorded}"
                )
                yield Violation("4", "orphan-charge", detail, (order_id, charge.id))
    by_id = {c.id: c for c in world.charges}
    for payment in world.payments.values():
        if payment.order_id not in world.orders:
            detail = f"payment {payment.status} for order {payment.order_id}, unknown to orders"
            yield Violation("4", "payment-without-order", detail, (payment.order_id,))
        if payment.provider_charge_id is None:
            continue  # FAILED without any charge: nothing at the provider to agree with
        in_ledger = by_id.get(payment.provider_charge_id)
        expected = _ledger_state(payment.status)
        if in_ledger is None:
            detail = (
                f"payment of {payment.order_id}: {payment.provider_charge_id} not in the ledger"
            )
            yield Violation("4", "payment-without-charge", detail, (payment.order_id,))
        elif expected is not None and _charge_state(in_ledger) != expected:
            detail = (
                f"payment of {payment.order_id} is {payment.status}, "
                f"its charge {in_ledger.id} {_charge_state(in_ledger)}"
            )
            yield Violation("4", "payment-disagrees", detail, (payment.order_id, in_ledger.id))


def _ledger_state(payment_status: str) -> str | None:
    return {"CHARGED": "kept", "REFUNDED": "refunded", "DECLINED": "declined"}.get(payment_status)


def _charge_state(charge: Charge) -> str:
    if not charge.succeeded:
        return "declined"
    return (
        "refunded"
        if charge.refunded == charge.amount
        else "kept"
        if not charge.refunded
        else "part-refunded"
    )


def customers_are_told(world: World) -> Iterator[Violation]:
    """Every final order's customer is told its outcome, once; nobody is told a wrong one."""
    told: dict[str, list[str]] = {}
    for notification in world.notifications:
        told.setdefault(notification.order_id, []).append(notification.kind)
    for order in world.orders.values():
        kinds = told.pop(order.id, [])
        expected = NOTIFICATION_FOR.get(order.status)
        wrong = [kind for kind in kinds if kind != expected]
        if wrong:
            detail = f"order {order.id} is {order.status}, its customer was told {', '.join(wrong)}"
            yield Violation("notified", "notification-contradicts", detail, (order.id,))
        elif expected and expected not in kinds:
            yield _order(
                "notified", "notification-missing", order, f"is {order.status}; no {expected} sent"
            )
    for order_id, kinds in sorted(told.items()):
        detail = f"{', '.join(kinds)} sent for order {order_id}, unknown to the order service"
        yield Violation("notified", "notification-without-order", detail, (order_id,))


def _order(
    invariant: str, kind: str, order: Order, what: str, ids: tuple[str, ...] = ()
) -> Violation:
    return Violation(invariant, kind, f"order {order.id} {what}", ids or (order.id,))
