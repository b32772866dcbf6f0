"""OpenAPI pieces the routes share: forwarded JSON bodies, and the problems the services
behind answer, which the gateway relays as they are.

Each service declares its own problems; the ones below say what a client of the gateway
may meet, and a contract test holds them to the services' own OpenAPI.
"""

from shopflow_kit import ProblemType

ORDER_NOT_FOUND = ProblemType(404, "order-not-found", "Order not found")
ORDER_ALREADY_CONFIRMED = ProblemType(409, "order-already-confirmed", "Order already confirmed")
INVALID_CURSOR = ProblemType(400, "invalid-cursor", "Invalid cursor")
IDEMPOTENCY_KEY_REQUIRED = ProblemType(400, "idempotency-key-required", "Idempotency-Key required")
IDEMPOTENCY_KEY_REUSED = ProblemType(422, "idempotency-key-reused", "Idempotency-Key reused")
UNKNOWN_SKU = ProblemType(422, "unknown-sku", "Unknown sku")
MIXED_CURRENCIES = ProblemType(422, "mixed-currencies", "Mixed currencies")
PRODUCT_NOT_FOUND = ProblemType(404, "product-not-found", "Product not found")
PRODUCT_EXISTS = ProblemType(409, "product-exists", "Product exists")

# OpenAPI links, so that a client (and a stateful test) can follow a new resource's id.
ORDER_ID_LINKS = {
    name: {"operationId": operation, "parameters": {"order_id": "$response.body#/id"}}
    for name, operation in {
        "GetOrder": "getOrder",
        "CancelOrder": "cancelOrder",
        "GetOrderDetails": "getOrderDetails",
        "ListPayments": "listPayments",
        "ListNotifications": "listNotifications",
    }.items()
}
SKU_LINKS = {
    name: {"operationId": operation, "parameters": {"sku": "$response.body#/sku"}}
    for name, operation in {"GetProduct": "getProduct", "SetStock": "setStock"}.items()
}

RELAYED = (
    ORDER_NOT_FOUND,
    ORDER_ALREADY_CONFIRMED,
    INVALID_CURSOR,
    IDEMPOTENCY_KEY_REQUIRED,
    IDEMPOTENCY_KEY_REUSED,
    UNKNOWN_SKU,
    MIXED_CURRENCIES,
    PRODUCT_NOT_FOUND,
    PRODUCT_EXISTS,
)
