"""What each order event tells the customer, before any words are chosen."""

import uuid

import pytest

from shopflow_contracts.order import OrderCancelled, OrderConfirmed
from shopflow_notification.domain import OrderOutcome
from shopflow_notification.handlers import outcome_of
from shopflow_notification.models import NotificationKind

pytestmark = pytest.mark.unit

ORDER = uuid.UUID("3f2a9c4e-0000-4000-8000-000000000001")


def test_a_confirmation_carries_what_was_charged():
    event = OrderConfirmed(order_id=ORDER, customer_id="alice", total=4599, currency="EUR")

    assert outcome_of(event) == OrderOutcome(
        str(ORDER), "alice", NotificationKind.ORDER_CONFIRMED, total=4599, currency="EUR"
    )


def test_a_cancellation_carries_why():
    event = OrderCancelled(order_id=ORDER, customer_id="bob", reason="payment_declined")

    assert outcome_of(event) == OrderOutcome(
        str(ORDER), "bob", NotificationKind.ORDER_CANCELLED, reason="payment_declined"
    )
