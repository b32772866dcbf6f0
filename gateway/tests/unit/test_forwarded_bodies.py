"""The gateway's OpenAPI states what the services enforce: the bodies it forwards are the
services' own, limit for limit, and links lead from a new order or product to its routes."""

import pytest

from shopflow_gateway.app import build as build_gateway
from shopflow_gateway.settings import GatewaySettings
from shopflow_inventory.app import build as build_inventory
from shopflow_inventory.settings import InventorySettings
from shopflow_order.app import build as build_order
from shopflow_order.settings import OrderSettings

pytestmark = pytest.mark.unit

NOWHERE = "http://127.0.0.1:9"
DATABASE = "postgresql+asyncpg://nobody:nobody@127.0.0.1:9/nothing"
BUS = {"kafka_bootstrap_servers": "127.0.0.1:9", "environment": "test"}
# What a schema says about a value, not how it is named or explained.
WORDING = {"title", "description", "examples", "example"}


def resolved(document, node):
    """`node` with every `$ref` into the document's components replaced by what it names."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            return resolved(document, document["components"]["schemas"][name])
        return {k: resolved(document, v) for k, v in node.items() if k not in WORDING}
    if isinstance(node, list):
        return [resolved(document, item) for item in node]
    return node


def body_schema(document, path, method):
    body = document["paths"][path][method]["requestBody"]["content"]["application/json"]
    return resolved(document, body["schema"])


@pytest.fixture(scope="module")
def gateway():
    settings = GatewaySettings(
        order_url=NOWHERE,
        inventory_url=NOWHERE,
        payment_url=NOWHERE,
        notification_url=NOWHERE,
        redis_url="redis://127.0.0.1:9",
        jwt_secret="forwarded-bodies-test-secret-0123456789",
        environment="test",
    )
    return build_gateway(settings).openapi()


@pytest.mark.parametrize(
    ("gateway_path", "method", "service", "service_path"),
    [
        ("/api/v1/orders", "post", "order", "/orders"),
        ("/api/v1/admin/products", "post", "inventory", "/admin/products"),
        ("/api/v1/admin/products/{sku}/stock", "put", "inventory", "/admin/products/{sku}/stock"),
    ],
)
def test_a_forwarded_body_is_documented_as_its_service_defines_it(
    gateway, gateway_path, method, service, service_path
):
    services = {
        "order": lambda: build_order(
            OrderSettings(database_url=DATABASE, inventory_url=NOWHERE, **BUS)
        ),
        "inventory": lambda: build_inventory(InventorySettings(database_url=DATABASE, **BUS)),
    }
    theirs = services[service]().openapi()

    assert body_schema(gateway, gateway_path, method) == body_schema(theirs, service_path, method)


def test_links_lead_from_a_placed_order_and_a_new_product_to_their_routes(gateway):
    operations = {
        operation["operationId"]
        for path in gateway["paths"].values()
        for operation in path.values()
    }
    placed = gateway["paths"]["/api/v1/orders"]["post"]["responses"]["202"]["links"]
    created = gateway["paths"]["/api/v1/admin/products"]["post"]["responses"]["201"]["links"]

    assert {link["operationId"] for link in placed.values()} == {
        "getOrder",
        "cancelOrder",
        "getOrderDetails",
        "listPayments",
        "listNotifications",
    }
    assert {link["parameters"]["order_id"] for link in placed.values()} == {"$response.body#/id"}
    assert {link["operationId"] for link in created.values()} == {"getProduct", "setStock"}
    assert {link["operationId"] for link in {**placed, **created}.values()} <= operations
