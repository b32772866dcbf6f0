"""RefundPayment: what was charged is given back once; nothing charged, nothing to do."""

import pytest

from shopflow_kit.upstream import UpstreamUnavailable
from shopflow_payment.models import PaymentStatus
from shopflow_payment.service import CANCELLED_BEFORE_CHARGE

pytestmark = pytest.mark.integration


async def test_a_charged_payment_is_refunded_in_full_once(charge, refund, simulator, order_id):
    charged = await charge(order_id, amount=2500)

    refunded = await refund(order_id)
    again = await refund(order_id)

    assert refunded.status is again.status is PaymentStatus.REFUNDED
    assert refunded.provider_refund_id is not None
    assert again.provider_refund_id == refunded.provider_refund_id
    assert simulator.refund_requests() == 1
    [ledger] = await simulator.charges(order_id)
    assert (ledger["id"], ledger["amount_refunded"]) == (charged.provider_charge_id, 2500)


async def test_a_declined_payment_has_nothing_to_refund(charge, refund, simulator, order_id):
    await charge(order_id, "tok_chargeDeclined")

    payment = await refund(order_id)

    assert payment.status is PaymentStatus.DECLINED
    assert simulator.refund_requests() == 0


async def test_an_order_never_charged_is_closed_to_later_charges(
    charge, refund, simulator, order_id
):
    compensated = await refund(order_id)
    late = await charge(order_id)  # a ChargePayment delivered after the compensation

    assert compensated.status is late.status is PaymentStatus.FAILED
    assert late.decline_reason == CANCELLED_BEFORE_CHARGE
    assert simulator.charge_requests() == simulator.refund_requests() == 0
    assert await simulator.charges(order_id) == []


async def test_a_charge_whose_answer_was_lost_is_still_refunded(
    charge, refund, simulator, order_id
):
    await simulator.set_faults(fail_after_commit_rate=1)
    with pytest.raises(UpstreamUnavailable):
        await charge(order_id, amount=1200)  # charged at the provider, nothing recorded here
    await simulator.set_faults()

    payment = await refund(order_id)

    [ledger] = await simulator.charges(order_id)
    assert payment.status is PaymentStatus.REFUNDED
    assert (payment.provider_charge_id, payment.amount) == (ledger["id"], 1200)
    assert ledger["amount_refunded"] == 1200


async def test_a_refund_whose_answer_was_lost_is_not_repeated(charge, refund, simulator, order_id):
    await charge(order_id, amount=800)
    await simulator.set_faults(fail_after_commit_rate=1)
    with pytest.raises(UpstreamUnavailable):
        await refund(order_id)  # refunded at the provider, still CHARGED here
    await simulator.set_faults()

    payment = await refund(order_id)

    [ledger] = await simulator.charges(order_id)
    assert payment.status is PaymentStatus.REFUNDED
    assert ledger["amount_refunded"] == 800
