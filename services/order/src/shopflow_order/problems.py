"""The order API's problems: the answer to each refusal, and their OpenAPI documentation.

Slugs are part of the public contract: never rename one.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shopflow_kit import Problem, problem_responses
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


@contextmanager
def refusals_as_problems() -> Iterator[None]:
    """Turns an `OrderError` raised inside into its problem."""
    try:
        yield
    except OrderError as error:
        status, slug, title = _ANSWERS[type(error)]
        raise Problem(status, slug, title, str(error), **error.details) from error


def documented(slugs_by_status: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """`problem_responses` whose descriptions say which slugs each status carries."""
    responses = problem_responses(*slugs_by_status)
    for status, slugs in slugs_by_status.items():
        responses[status]["description"] = slugs
    return responses
