import pytest

from shopflow_notification.domain import OrderOutcome, render
from shopflow_notification.models import NotificationKind

pytestmark = pytest.mark.unit

ORDER = "3f2a9c4e-0000-4000-8000-000000000001"


def test_a_confirmation_states_the_amount_charged():
    subject, body = render(
        OrderOutcome(ORDER, "alice", NotificationKind.ORDER_CONFIRMED, 4599, "EUR")
    )

    assert subject == "Your order 3f2a9c4e is confirmed"
    assert "45.99 EUR" in body


def test_a_cancellation_states_why_in_words():
    subject, body = render(
        OrderOutcome(ORDER, "bob", NotificationKind.ORDER_CANCELLED, reason="out_of_stock")
    )

    assert subject == "Your order 3f2a9c4e was cancelled"
    assert "(out of stock)" in body
    assert "not been charged" in body
