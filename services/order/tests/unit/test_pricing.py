import pytest

from shopflow_order.domain import MixedCurrenciesError, UnknownSkusError, priced_order
from shopflow_order.models import OrderStatus
from shopflow_order.schemas import OrderCreate, OrderItem
from shopflow_order.upstreams import Product

pytestmark = pytest.mark.unit

CATALOG = {
    "MUG-1": Product(sku="MUG-1", name="Mug", price=1999, currency="EUR"),
    "TEA-7": Product(sku="TEA-7", name="Tea", price=500, currency="EUR"),
    "HAT-1": Product(sku="HAT-1", name="Hat", price=2500, currency="USD"),
}


def order_of(quantities: dict[str, int]) -> OrderCreate:
    items = [OrderItem(sku=sku, quantity=n) for sku, n in quantities.items()]
    return OrderCreate(items=items, payment_method="tok_visa")


def test_lines_and_total_come_from_the_catalog_prices():
    order = priced_order("alice", order_of({"TEA-7": 3, "MUG-1": 2}), CATALOG)

    assert [(line.sku, line.unit_price, line.line_total) for line in order.lines] == [
        ("MUG-1", 1999, 3998),
        ("TEA-7", 500, 1500),
    ]
    assert (order.total, order.currency, order.status) == (5498, "EUR", OrderStatus.PENDING)
    assert order.payment_method == "tok_visa"


def test_every_unknown_sku_is_named():
    with pytest.raises(UnknownSkusError) as refused:
        priced_order("alice", order_of({"MUG-1": 1, "NOPE-2": 1, "NOPE-1": 1}), CATALOG)

    assert refused.value.details == {"skus": ["NOPE-1", "NOPE-2"]}


def test_an_order_has_one_currency():
    with pytest.raises(MixedCurrenciesError) as refused:
        priced_order("alice", order_of({"MUG-1": 1, "HAT-1": 1}), CATALOG)

    assert refused.value.details == {"currencies": ["EUR", "USD"]}
