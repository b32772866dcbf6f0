"""The order domain's rules that need no database: pricing an order, and what it refuses.

Each refusal is a `DomainError` naming its problem: wherever it is raised, the kit
answers it with that status and slug (public contract: never rename one).
"""

import uuid
from collections.abc import Mapping, Sequence

from shopflow_kit import DomainError, ProblemType
from shopflow_order.models import Order, OrderLine, OrderStatus
from shopflow_order.schemas import OrderCreate
from shopflow_order.upstreams import Product


class UnknownSkusError(DomainError):
    problem = ProblemType(422, "unknown-sku", "Unknown sku")

    def __init__(self, skus: Sequence[str]) -> None:
        super().__init__(f"inventory has no product with sku {', '.join(skus)}", skus=list(skus))


class MixedCurrenciesError(DomainError):
    problem = ProblemType(422, "mixed-currencies", "Mixed currencies")

    def __init__(self, currencies: Sequence[str]) -> None:
        message = f"the items are priced in {', '.join(currencies)}: one order, one currency"
        super().__init__(message, currencies=list(currencies))


class IdempotencyKeyReusedError(DomainError):
    problem = ProblemType(422, "idempotency-key-reused", "Idempotency-Key reused")

    def __init__(self) -> None:
        super().__init__("this Idempotency-Key already placed an order with a different request")


class OrderNotFoundError(DomainError):
    problem = ProblemType(404, "order-not-found", "Order not found")

    def __init__(self) -> None:
        super().__init__("you have no order with this id")


class OrderAlreadyConfirmedError(DomainError):
    problem = ProblemType(409, "order-already-confirmed", "Order already confirmed")

    def __init__(self) -> None:
        super().__init__("the order is confirmed: it can no longer be cancelled")


def priced_order(customer_id: str, request: OrderCreate, catalog: Mapping[str, Product]) -> Order:
    """A new PENDING order for `request`, priced from `catalog` (inventory's products by sku):
    inventory's prices times the quantities asked, in a single currency."""
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
