"""Which event answers a payment command, from the payment as it was recorded."""

import uuid

import pytest

from shopflow_contracts.payment import PaymentCharged, PaymentDeclined, PaymentRefunded
from shopflow_payment.handlers import charge_event, refund_event
from shopflow_payment.models import Payment, PaymentStatus
from shopflow_payment.service import CANCELLED_BEFORE_CHARGE

pytestmark = pytest.mark.unit

ORDER = uuid.UUID("3f2a9c4e-0000-4000-8000-000000000001")
PAYMENT_ID = uuid.UUID("9b1d0000-0000-4000-8000-000000000002")


def payment(status, decline_reason=None, amount=4599):
    return Payment(
        id=PAYMENT_ID,
        order_id=ORDER,
        status=status,
        amount=amount,
        currency="EUR",
        decline_reason=decline_reason,
    )


def test_a_charged_payment_answers_with_its_id_and_amount():
    assert charge_event(payment(PaymentStatus.CHARGED)) == PaymentCharged(
        order_id=ORDER, payment_id=PAYMENT_ID, amount=4599, currency="EUR"
    )


@pytest.mark.parametrize(
    ("recorded", "reason"),
    [
        (payment(PaymentStatus.DECLINED, "insufficient_funds"), "insufficient_funds"),
        (payment(PaymentStatus.FAILED, "invalid-source"), "invalid-source"),
        (payment(PaymentStatus.FAILED, CANCELLED_BEFORE_CHARGE, amount=None), "cancelled"),
        (payment(PaymentStatus.REFUNDED), "cancelled"),  # charged, then compensated
    ],
    ids=["card-declined", "refused-by-provider", "cancelled-before-charge", "refunded"],
)
def test_a_charge_that_took_no_money_or_gave_it_back_is_declined(recorded, reason):
    assert charge_event(recorded) == PaymentDeclined(order_id=ORDER, reason=reason)


@pytest.mark.parametrize(
    ("recorded", "amount"),
    [
        (payment(PaymentStatus.REFUNDED, amount=2500), 2500),
        (payment(PaymentStatus.DECLINED, "generic_decline"), 0),
        (payment(PaymentStatus.FAILED, CANCELLED_BEFORE_CHARGE, amount=None), 0),
    ],
    ids=["refunded", "declined", "never-charged"],
)
def test_a_refund_answers_what_was_given_back(recorded, amount):
    assert refund_event(recorded) == PaymentRefunded(order_id=ORDER, amount=amount)
