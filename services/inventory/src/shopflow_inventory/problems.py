"""The inventory API's problems; their slugs are public contract: never rename one."""

import uuid
from collections.abc import Mapping
from typing import Any

from shopflow_kit import Problem, problem_responses

PRODUCT_NOT_FOUND = "product-not-found"
PRODUCT_EXISTS = "product-exists"
RESERVATION_NOT_FOUND = "reservation-not-found"

# Answered by the kit: a malformed query or path, and a body that is not JSON or too large.
MALFORMED_INPUT = {422: "validation-error"}
MALFORMED_BODY = {400: "malformed-json", 413: "payload-too-large", 422: "validation-error"}
NOT_ADMIN = {401: "unauthorized", 403: "forbidden"}


def documented(*slugs_by_status: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for these problems, each description naming its slug."""
    slugs = {status: slug for group in slugs_by_status for status, slug in group.items()}
    responses = problem_responses(*sorted(slugs))
    for status, slug in slugs.items():
        responses[status]["description"] += f" (`{slug}`)"
    return responses


def product_not_found(sku: str) -> Problem:
    return Problem(
        404, PRODUCT_NOT_FOUND, "Product not found", f"No product has sku {sku}.", sku=sku
    )


def product_exists(sku: str) -> Problem:
    detail = f"A product with sku {sku} already exists."
    return Problem(409, PRODUCT_EXISTS, "Product exists", detail, sku=sku)


def reservation_not_found(order_id: uuid.UUID) -> Problem:
    detail = f"No stock was ever asked for order {order_id}."
    return Problem(
        404, RESERVATION_NOT_FOUND, "Reservation not found", detail, order_id=str(order_id)
    )
