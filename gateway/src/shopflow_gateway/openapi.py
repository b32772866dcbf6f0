"""OpenAPI pieces the routes share: forwarded JSON bodies, and the problems the services
behind answer, which the gateway relays as they are.

Each service declares its own problems; the ones below say what a client of the gateway
may meet, and a contract test holds them to the services' own OpenAPI.
"""

from typing import Any

from shopflow_kit import ProblemType

ORDER_NOT_FOUND = ProblemType(404, "order-not-found", "Order not found")
ORDER_ALREADY_CONFIRMED = ProblemType(409, "order-already-confirmed", "Order already confirmed")
INVALID_CURSOR = ProblemType(400, "invalid-cursor", "Invalid cursor")
IDEMPOTENCY_KEY_REQUIRED = ProblemType(400, "idempotency-key-required", "Idempotency-Key required")
IDEMPOTENCY_KEY_REUSED = ProblemType(422, "idempotency-key-reused", "Idempotency-Key reused")
UNKNOWN_SKU = ProblemType(422, "unknown-sku", "Unknown sku")
PRODUCT_NOT_FOUND = ProblemType(404, "product-not-found", "Product not found")
PRODUCT_EXISTS = ProblemType(409, "product-exists", "Product exists")

RELAYED = (
    ORDER_NOT_FOUND,
    ORDER_ALREADY_CONFIRMED,
    INVALID_CURSOR,
    IDEMPOTENCY_KEY_REQUIRED,
    IDEMPOTENCY_KEY_REUSED,
    UNKNOWN_SKU,
    PRODUCT_NOT_FOUND,
    PRODUCT_EXISTS,
)


def json_body(example: dict[str, Any], description: str) -> dict[str, Any]:
    """`openapi_extra` for a JSON request body the gateway forwards without parsing: the
    service behind validates it and answers `malformed-json` or `validation-error` itself."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": {"type": "object"}, "example": example}},
        }
    }
