import pytest

from shopflow_payment_provider.schemas import ChargeCreate
from shopflow_payment_provider.service import fingerprint

pytestmark = pytest.mark.unit


def charge(**fields):
    return ChargeCreate.model_validate(
        {"amount": 1999, "currency": "EUR", "source": "tok_visa", **fields}
    )


def test_equal_bodies_have_one_fingerprint_whatever_their_key_order():
    one = charge(metadata={"order_id": "o-1", "customer": "alice"})
    other = ChargeCreate.model_validate_json(
        '{"metadata": {"customer": "alice", "order_id": "o-1"},'
        ' "source": "tok_visa", "currency": "EUR", "amount": 1999}'
    )

    assert fingerprint(one) == fingerprint(other)


@pytest.mark.parametrize(
    "change", [{"amount": 2000}, {"currency": "USD"}, {"metadata": {"order_id": "o-2"}}]
)
def test_any_difference_changes_the_fingerprint(change):
    assert fingerprint(charge(**change)) != fingerprint(charge())
