"""Pricing an order: inventory's prices times the quantities asked, in a single currency."""

import uuid
from collections.abc import Mapping

from shopflow_order.errors import MixedCurrenciesError, UnknownSkusError
from shopflow_order.inventory import Product
from shopflow_order.models import Order, OrderLine, OrderStatus
from shopflow_order.schemas import OrderCreate


def priced_order(customer_id: str, request: OrderCreate, catalog: Mapping[str, Product]) -> Order:
    """A new PENDING order for `request`, priced from `catalog` (inventory's products by sku)."""
    unknown = sorted(sku for sku in request.skus() if sku not in catalog)
    if unknown:
        raise UnknownSkusError(unknown)
    currencies = sorted({catalog[sku].currency for sku in request.skus()})
    if len(currencies) > 1:
        raise MixedCurrenciesError(currencies)
    lines = [
        OrderLine(
            sku=item.sku,
            name=catalog[item.sku].name,
            quantity=item.quantity,
            unit_price=catalog[item.sku].price,
            line_total=catalog[item.sku].price * item.quantity,
        )
        for item in sorted(request.items, key=lambda item: item.sku)
    ]
    return Order(
        id=uuid.uuid4(),
        customer_id=customer_id,
        status=OrderStatus.PENDING,
        total=sum(line.line_total for line in lines),
        currency=currencies[0],
        payment_method=request.payment_method,
        lines=lines,
    )
