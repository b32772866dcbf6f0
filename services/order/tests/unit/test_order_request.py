import pytest
from pydantic import ValidationError

from shopflow_order.schemas import OrderCreate

pytestmark = pytest.mark.unit


def request(raw: str) -> OrderCreate:
    return OrderCreate.model_validate_json(raw)


def test_the_fingerprint_ignores_key_order_spacing_and_item_order():
    compact = request(
        '{"items":[{"sku":"AAA","quantity":1},{"sku":"BBB","quantity":2}],"payment_method":"tok_visa"}'
    )
    rewritten = request(
        """{ "payment_method": "tok_visa",
             "items": [ {"quantity": 2, "sku": "BBB"}, {"quantity": 1, "sku": "AAA"} ] }"""
    )

    assert compact.fingerprint() == rewritten.fingerprint()


@pytest.mark.parametrize(
    "other",
    [
        '{"items":[{"sku":"AAA","quantity":2}],"payment_method":"tok_visa"}',
        '{"items":[{"sku":"BBB","quantity":1}],"payment_method":"tok_visa"}',
        '{"items":[{"sku":"AAA","quantity":1}],"payment_method":"tok_chargeDeclined"}',
    ],
    ids=["quantity", "sku", "payment-method"],
)
def test_the_fingerprint_tells_requests_apart(other):
    one = request('{"items":[{"sku":"AAA","quantity":1}],"payment_method":"tok_visa"}')

    assert request(other).fingerprint() != one.fingerprint()


def test_a_repeated_sku_is_rejected_naming_it():
    raw = (
        '{"items":[{"sku":"BBB","quantity":1},{"sku":"AAA","quantity":1},{"sku":"BBB","quantity":2}],'
        '"payment_method":"tok_visa"}'
    )

    with pytest.raises(ValidationError, match="repeated: BBB"):
        request(raw)
