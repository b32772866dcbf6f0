"""ChargePayment: one charge per order at the provider, whatever is repeated, declined or lost."""

import asyncio

import pytest

from shopflow_kit.upstream import UpstreamUnavailable
from shopflow_payment.models import PaymentStatus

pytestmark = pytest.mark.integration


async def test_an_approved_card_is_charged_once_for_the_order(charge, simulator, order_id):
    payment = await charge(order_id, "tok_visa", amount=4599)

    assert payment.status is PaymentStatus.CHARGED
    [charged] = await simulator.charges(order_id)
    assert charged["id"] == payment.provider_charge_id
    assert (charged["amount"], charged["currency"]) == (4599, "EUR")
    assert charged["idempotency_key"] == str(order_id)


async def test_a_charged_order_is_not_charged_again(charge, simulator, order_id):
    first = await charge(order_id)
    asked = simulator.charge_requests()

    again = await charge(order_id)

    assert (again.id, again.status) == (first.id, PaymentStatus.CHARGED)
    assert simulator.charge_requests() == asked
    assert len(await simulator.charges(order_id)) == 1


async def test_a_declined_card_is_recorded_and_never_retried(charge, simulator, order_id):
    payment = await charge(order_id, "tok_chargeDeclinedInsufficientFunds")
    again = await charge(order_id, "tok_chargeDeclinedInsufficientFunds")

    assert payment.status is again.status is PaymentStatus.DECLINED
    assert payment.decline_reason == "insufficient_funds"
    assert simulator.charge_requests() == 1
    [declined] = await simulator.charges(order_id)
    assert (declined["status"], declined["id"]) == ("failed", payment.provider_charge_id)


async def test_a_source_the_provider_refuses_fails_the_payment(charge, simulator, order_id):
    payment = await charge(order_id, "tok_stolen")

    assert payment.status is PaymentStatus.FAILED
    assert payment.decline_reason == "invalid-source"
    assert await simulator.charges(order_id) == []


async def test_concurrent_deliveries_for_one_order_charge_once(charge, simulator, order_id):
    payments = await asyncio.gather(*(charge(order_id) for _ in range(4)))

    assert len({payment.id for payment in payments}) == 1
    assert len(await simulator.charges(order_id)) == 1


async def test_a_charge_whose_answer_is_lost_is_found_again_not_repeated(
    charge, simulator, order_id
):
    await simulator.set_faults(fail_after_commit_rate=1)
    with pytest.raises(UpstreamUnavailable):
        await charge(order_id)  # charged, but the answer is a 500: nothing is recorded

    await simulator.set_faults()
    payment = await charge(order_id)  # the redelivered command

    [charged] = await simulator.charges(order_id)
    assert payment.status is PaymentStatus.CHARGED
    assert payment.provider_charge_id == charged["id"]
