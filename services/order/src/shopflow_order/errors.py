"""What the order domain refuses; the API turns each into a problem with a stable slug."""

from collections.abc import Sequence
from typing import Any


class OrderError(Exception):
    """A request the order domain cannot carry out; `details` say what exactly."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


class UnknownSkusError(OrderError):
    def __init__(self, skus: Sequence[str]) -> None:
        super().__init__(f"inventory has no product with sku {', '.join(skus)}", skus=list(skus))


class MixedCurrenciesError(OrderError):
    def __init__(self, currencies: Sequence[str]) -> None:
        message = f"the items are priced in {', '.join(currencies)}: one order, one currency"
        super().__init__(message, currencies=list(currencies))


class IdempotencyKeyReusedError(OrderError):
    def __init__(self) -> None:
        super().__init__("this Idempotency-Key already placed an order with a different request")


class OrderNotFoundError(OrderError):
    def __init__(self) -> None:
        super().__init__("you have no order with this id")


class OrderAlreadyConfirmedError(OrderError):
    def __init__(self) -> None:
        super().__init__("the order is confirmed: it can no longer be cancelled")
