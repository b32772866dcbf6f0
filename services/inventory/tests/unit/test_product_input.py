import pytest
from pydantic import ValidationError

from shopflow_inventory.schemas import MAX_PRICE, ProductCreate

pytestmark = pytest.mark.unit

VALID = {"sku": "MUG-001", "name": "Coffee mug", "price": 1299, "currency": "EUR"}


def test_a_product_starts_with_no_stock_unless_told():
    assert ProductCreate(**VALID).stock == 0


def test_a_name_is_stored_without_surrounding_blanks():
    assert ProductCreate(**{**VALID, "name": "  Coffee mug "}).name == "Coffee mug"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sku", "mug-001"),
        ("sku", "MU"),
        ("sku", "MUG_001"),
        ("name", "   "),
        ("name", "x" * 201),
        ("price", 0),
        ("price", MAX_PRICE + 1),
        ("price", "1299"),
        ("price", 12.99),
        ("currency", "eur"),
        ("currency", "EURO"),
        ("stock", -1),
        ("stock", 1_000_001),
        ("colour", "red"),
    ],
)
def test_a_product_out_of_bounds_is_refused(field, value):
    with pytest.raises(ValidationError) as refused:
        ProductCreate(**{**VALID, field: value})

    assert refused.value.errors()[0]["loc"] == (field,)
