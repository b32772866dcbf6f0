"""The place-order saga end to end on real Kafka and PostgreSQL, the test playing inventory
and payment: every way an order ends, and replies that must not move it twice."""

import uuid

import pytest

from shopflow_contracts.inventory import (
    CommitStock,
    ReleaseStock,
    ReserveStock,
    StockCommitted,
    StockRejected,
    StockReleased,
    StockReserved,
)
from shopflow_contracts.order import OrderCancelled, OrderConfirmed
from shopflow_contracts.payment import ChargePayment, PaymentCharged, PaymentDeclined
from shopflow_kit.messaging import Envelope
from shopflow_testing.callers import signed_in

pytestmark = pytest.mark.integration


async def test_a_paid_order_is_confirmed_and_its_stock_committed(
    client, customer, inventory, place, bus, settled, handled
):
    inventory.stock("MUG-1", 1999)
    order_id = (await place({"MUG-1": 2})).json()["id"]

    reserve = await bus.next(order_id, ReserveStock)
    await bus.answer(reserve, StockReserved(order_id=order_id))
    charge = await bus.next(order_id, ChargePayment)
    payment = PaymentCharged(
        order_id=order_id, payment_id=uuid.uuid4(), amount=3998, currency="EUR"
    )
    await bus.answer(charge, payment)
    commit = await bus.next(order_id, CommitStock)
    confirmed = await bus.next(order_id, OrderConfirmed)
    await handled(await bus.answer(commit, StockCommitted(order_id=order_id)))

    assert reserve.payload["lines"] == [{"sku": "MUG-1", "quantity": 2}]
    assert charge.payload == {
        "order_id": order_id,
        "amount": 3998,
        "currency": "EUR",
        "payment_method": "tok_visa",
    }
    assert await settled(order_id) == ("CONFIRMED", None)
    assert confirmed.payload == {
        "order_id": order_id,
        "customer_id": customer,
        "total": 3998,
        "currency": "EUR",
    }
    order = (await client.get(f"/orders/{order_id}", headers=signed_in("order", customer))).json()
    assert order["status"] == "CONFIRMED"
    assert [(h["step"], h["event"]) for h in order["saga"]] == [
        ("reserve_stock", "ReserveStock sent"),
        ("reserve_stock", "StockReserved"),
        ("charge_payment", "ChargePayment sent"),
        ("charge_payment", "PaymentCharged"),
        ("commit_stock", "CommitStock sent"),
        ("commit_stock", "StockCommitted"),
        ("saga", "completed"),
    ]


async def test_stock_refused_cancels_the_order_with_nothing_to_undo(
    customer, inventory, place, bus, settled, sent
):
    inventory.stock("MUG-1", 1999)
    order_id = (await place({"MUG-1": 1})).json()["id"]

    reserve = await bus.next(order_id, ReserveStock)
    rejected = StockRejected(order_id=order_id, reason="out_of_stock", skus=("MUG-1",))
    await bus.answer(reserve, rejected)
    cancelled = await bus.next(order_id, OrderCancelled)

    assert await settled(order_id) == ("CANCELLED", "out_of_stock")
    assert cancelled.payload == {
        "order_id": order_id,
        "customer_id": customer,
        "reason": "out_of_stock",
    }
    assert await sent(order_id) == ["ReserveStock", "OrderCancelled"]


async def test_a_declined_payment_releases_the_stock_then_cancels(
    inventory, place, bus, settled, sent, database
):
    inventory.stock("MUG-1", 1999)
    order_id = (await place({"MUG-1": 1})).json()["id"]
    reserve = await bus.next(order_id, ReserveStock)
    await bus.answer(reserve, StockReserved(order_id=order_id))
    charge = await bus.next(order_id, ChargePayment)

    await bus.answer(charge, PaymentDeclined(order_id=order_id, reason="card_declined"))
    release = await bus.next(order_id, ReleaseStock)
    still = await sent(order_id)
    await bus.answer(release, StockReleased(order_id=order_id))

    assert "OrderCancelled" not in still  # cancelled only once the stock is back
    assert await settled(order_id) == ("CANCELLED", "payment_declined")
    assert (await bus.next(order_id, OrderCancelled)).payload["reason"] == "payment_declined"
    assert await sent(order_id) == [
        "ReserveStock",
        "ChargePayment",
        "ReleaseStock",
        "OrderCancelled",
    ]


async def test_a_reply_delivered_twice_or_answered_twice_moves_the_saga_once(
    inventory, place, bus, handled, sent
):
    inventory.stock("MUG-1", 1999)
    order_id = (await place({"MUG-1": 1})).json()["id"]
    reserve = await bus.next(order_id, ReserveStock)

    reserved = await bus.answer(reserve, StockReserved(order_id=order_id))
    await bus.deliver(reserved)  # Kafka's redelivery: the same message id
    # Inventory answering a resent command: a second message with the same news.
    answered_again = await bus.answer(reserve, StockReserved(order_id=order_id))
    await handled(answered_again)  # same partition: the two before it were handled first

    assert await sent(order_id) == ["ReserveStock", "ChargePayment"]


@pytest.mark.usefixtures("client")  # the service, running
async def test_a_reply_for_an_order_it_does_not_know_is_ignored(bus, handled, sent):
    stranger = str(uuid.uuid4())
    reply = Envelope.wrap(StockReserved(order_id=stranger), correlation_id=stranger)

    await bus.deliver(reply)
    await handled(reply)  # handled (as nothing), not dead-lettered

    assert await sent(stranger) == []
