import pytest

pytestmark = pytest.mark.integration

AWAY = {"503": "dependency-unavailable"}  # every route: its database may be away
BODY = {"400": "malformed-json", "413": "payload-too-large", "422": "validation-error", **AWAY}
ADMIN = {**BODY, "401": "unauthenticated", "403": "forbidden"}
PROBLEMS_BY_ROUTE = {
    ("get", "/products"): {"422": "validation-error", **AWAY},
    ("get", "/products/{sku}"): {"404": "product-not-found", "422": "validation-error", **AWAY},
    ("get", "/reservations/{order_id}"): {
        "401": "unauthenticated",
        "404": "reservation-not-found",
        "422": "validation-error",
        **AWAY,
    },
    ("get", "/audit/stock"): {"401": "unauthenticated", "403": "forbidden", **AWAY},
    ("post", "/admin/products"): {**ADMIN, "409": "product-exists"},
    ("put", "/admin/products/{sku}/stock"): {**ADMIN, "404": "product-not-found"},
}


@pytest.fixture
async def openapi(client):
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize(("method", "path"), PROBLEMS_BY_ROUTE)
async def test_each_route_documents_its_answer_and_its_problems(openapi, method, path):
    operation = openapi["paths"][path][method]
    responses = operation["responses"]

    assert operation["summary"]
    success = next(status for status in responses if status.startswith("2"))
    assert "schema" in responses[success]["content"]["application/json"]
    problems = {status for status in responses if not status.startswith("2")}
    slugs = PROBLEMS_BY_ROUTE[(method, path)]
    assert problems == set(slugs)
    for status, slug in slugs.items():
        assert "application/problem+json" in responses[status]["content"]
        assert f"`{slug}`" in responses[status]["description"]


async def test_pagination_and_creation_headers_are_documented(openapi):
    products = openapi["paths"]["/products"]["get"]["responses"]["200"]
    created = openapi["paths"]["/admin/products"]["post"]["responses"]["201"]

    assert "Link" in products["headers"]
    assert "Location" in created["headers"]


async def test_every_inventory_route_is_documented(openapi):
    documented = {
        (method, path)
        for path, operations in openapi["paths"].items()
        for method in operations
        if path not in {"/healthz", "/readyz", "/metrics"}
    }

    assert documented == set(PROBLEMS_BY_ROUTE)
