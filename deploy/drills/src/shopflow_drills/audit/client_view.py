"""What clients were told, held against what the shop did (a load run's `LoadRecord`).

- every order a client got a 202 for exists (nothing accepted is lost);
- one Idempotency-Key, one order: the client never got two ids for it, and the order
  service's key table names the order the client was given;
- a key the client was told "no" for (a 4xx) placed no order: a customer refused must not
  find an order, and a charge, later; a client left without an answer it could rely on
  (a 5xx, none) does not know, and its key must converge when it asks again (the load
  generator's clients come back once the run is over): still no 202 then, and an order
  exists, is a violation;
- an outcome the client read as final is the order's final state.
"""

from __future__ import annotations

from collections.abc import Iterator

from shopflow_drills.audit.violations import Violation
from shopflow_drills.audit.world import World
from shopflow_drills.load.record import ClientOrder, LoadRecord


def client_violations(record: LoadRecord, world: World) -> Iterator[Violation]:
    placed_by_key = {k.key: k.order_id for k in world.idempotency_keys}
    for client in record.orders:
        yield from _one_client(client, placed_by_key.get(client.key), world)


def _one_client(client: ClientOrder, placed: str | None, world: World) -> Iterator[Violation]:
    given = sorted({a.order_id for a in client.attempts if a.order_id})
    key = client.key
    if len(given) > 1:
        yield Violation(
            "client", "key-two-orders", f"key {key} was answered {given}", (key, *given)
        )
    if not given:
        if placed is not None:
            yield from _placed_unacknowledged(client, placed)
        return
    order_id = given[0]
    order = world.orders.get(order_id)
    if order is None:
        detail = f"order {order_id} was accepted (202, key {key}) and does not exist"
        yield Violation("client", "lost-order", detail, (order_id, key))
        return
    if placed is not None and placed != order_id:
        detail = f"key {key} gave its client {order_id}; the shop's key table says {placed}"
        yield Violation("client", "key-two-orders", detail, (key, order_id, placed))
    outcome = client.outcome
    if outcome is not None and outcome.final and outcome.status != order.status:
        detail = f"order {order_id} read {outcome.status} by its client, now {order.status}"
        yield Violation("client", "outcome-changed", detail, (order_id,))


def _placed_unacknowledged(client: ClientOrder, placed: str) -> Iterator[Violation]:
    """An order exists for a key its client never got a 202 for.

    Told no (a 4xx last), that is a broken promise. Told nothing it could rely on (a 5xx
    or no answer: the shop may commit and die before it answers) the client does not
    know, which is no violation by itself: the key must converge when the client asks
    again. Once it came back (`late` attempts) and still got no 202, it did not.
    """
    last = client.attempts[-1] if client.attempts else None
    told = (last.status or last.error) if last else "nothing"
    key = client.key
    if last is None or not last.indeterminate:
        detail = f"key {key} placed order {placed}; its client was last told {told}"
        yield Violation("client", "unacknowledged-order", detail, (key, placed))
    elif last.late:
        detail = (
            f"key {key} placed order {placed}; asked again with that key after the run, "
            f"its client was still told {told}"
        )
        yield Violation("client", "key-not-converged", detail, (key, placed))
