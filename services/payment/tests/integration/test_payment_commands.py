"""The payment commands over real Kafka, answered from the real provider simulator's ledger."""

import pytest

from shopflow_contracts.payment import (
    ChargePayment,
    PaymentCharged,
    PaymentDeclined,
    PaymentRefunded,
    RefundPayment,
)
from shopflow_testing.callers import signed_in

pytestmark = pytest.mark.integration


def charge_command(order_id, payment_method="tok_visa", amount=4599):
    return ChargePayment(
        order_id=order_id, amount=amount, currency="EUR", payment_method=payment_method
    )


async def test_an_approved_card_is_charged_once_and_answered_with_the_payment(
    saga, simulator, client, order_id
):
    await saga.send(charge_command(order_id, amount=4599))

    [charged] = await saga.replies(order_id)
    [payment] = (
        await client.get(
            "/payments", params={"order_id": str(order_id)}, headers=signed_in("payment", "alice")
        )
    ).json()
    assert charged == PaymentCharged(
        order_id=order_id, payment_id=payment["id"], amount=4599, currency="EUR"
    )
    [ledger] = await simulator.charges(order_id)
    assert (ledger["id"], ledger["amount"]) == (payment["provider_charge_id"], 4599)


async def test_a_resent_charge_is_answered_again_without_asking_the_provider(
    saga, simulator, order_id
):
    await saga.send(charge_command(order_id))
    [first] = await saga.replies(order_id)

    await saga.send(charge_command(order_id))  # the saga's deadline resends: a new message id

    assert await saga.replies(order_id, 2) == [first, first]
    assert simulator.charge_requests() == 1
    assert len(await simulator.charges(order_id)) == 1


async def test_a_declined_card_is_answered_with_the_providers_decline_code(saga, order_id):
    await saga.send(charge_command(order_id, "tok_chargeDeclined"))

    declined = PaymentDeclined(order_id=order_id, reason="generic_decline")
    assert await saga.replies(order_id) == [declined]


async def test_a_charged_order_is_refunded_in_full(saga, simulator, order_id):
    await saga.send(charge_command(order_id, amount=2500))
    await saga.replies(order_id)

    await saga.send(RefundPayment(order_id=order_id))

    assert (await saga.replies(order_id, 2))[1] == PaymentRefunded(order_id=order_id, amount=2500)
    [ledger] = await simulator.charges(order_id)
    assert ledger["amount_refunded"] == 2500


async def test_an_order_never_charged_is_refunded_nothing_and_declined_any_later_charge(
    saga, simulator, order_id
):
    await saga.send(RefundPayment(order_id=order_id))  # the saga compensates before charging
    await saga.send(charge_command(order_id))  # a ChargePayment that arrives after all

    assert await saga.replies(order_id, 2) == [
        PaymentRefunded(order_id=order_id, amount=0),
        PaymentDeclined(order_id=order_id, reason="cancelled"),
    ]
    assert simulator.charge_requests() == 0
    assert await simulator.charges(order_id) == []
