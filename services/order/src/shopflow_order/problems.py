"""The order API's problems: the answer to each refusal, and the slugs its routes document.

Slugs are part of the public contract: never rename one.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from shopflow_kit import Problem
from shopflow_order.errors import (
    IdempotencyKeyReusedError,
    MixedCurrenciesError,
    OrderAlreadyConfirmedError,
    OrderError,
    OrderNotFoundError,
    UnknownSkusError,
)

_ANSWERS: dict[type[OrderError], tuple[int, str, str]] = {
    UnknownSkusError: (422, "unknown-sku", "Unknown sku"),
    MixedCurrenciesError: (422, "mixed-currencies", "Mixed currencies"),
    IdempotencyKeyReusedError: (422, "idempotency-key-reused", "Idempotency-Key reused"),
    OrderNotFoundError: (404, "order-not-found", "Order not found"),
    OrderAlreadyConfirmedError: (409, "order-already-confirmed", "Order already confirmed"),
}

# For `documented_problems`; the kit answers the first three, inventory's failures the last.
UNAUTHENTICATED = {401: "unauthenticated"}
MALFORMED_INPUT = {422: "validation-error"}
MALFORMED_BODY = {400: "malformed-json", 413: "payload-too-large", 422: "validation-error"}
INVENTORY_FAILED = {502: "bad-gateway", 503: "upstream-unavailable"}


@contextmanager
def refusals_as_problems() -> Iterator[None]:
    """Turns an `OrderError` raised inside into its problem."""
    try:
        yield
    except OrderError as error:
        status, slug, title = _ANSWERS[type(error)]
        raise Problem(status, slug, title, str(error), **error.details) from error
