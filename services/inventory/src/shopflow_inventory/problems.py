"""The inventory API's problems; their slugs are public contract: never rename one."""

import uuid

from shopflow_kit import Problem

PRODUCT_NOT_FOUND = "product-not-found"
PRODUCT_EXISTS = "product-exists"
RESERVATION_NOT_FOUND = "reservation-not-found"

# Answered by the kit: a malformed query or path, a body that is not JSON or too large, and
# a caller without a verified identity or without the admin role.
MALFORMED_INPUT = {422: "validation-error"}
MALFORMED_BODY = {400: "malformed-json", 413: "payload-too-large", 422: "validation-error"}
NOT_ADMIN = {401: "unauthenticated", 403: "forbidden"}


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
