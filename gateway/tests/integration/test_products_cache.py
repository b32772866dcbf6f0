"""The product list, cached in Redis per query for a few seconds."""

import uuid

import pytest

pytestmark = pytest.mark.integration


async def test_the_list_is_cached_per_query_in_any_order(gateway, services):
    first = await gateway.client.get("/api/v1/products?limit=2&after=BAG-TOTE")
    seen = services.inventory.requests_seen()
    again = await gateway.client.get("/api/v1/products?after=BAG-TOTE&limit=2")

    assert (first.headers["x-cache"], again.headers["x-cache"]) == ("MISS", "HIT")
    assert again.content == first.content
    assert services.inventory.requests_seen() == seen
    assert again.headers["content-type"] == "application/json"
    assert again.headers["link"].startswith("</api/v1/products?after=")
    assert [p["sku"] for p in again.json()] == ["BOOK-DDIA", "CAP-LOGO"]


async def test_no_cache_asks_inventory_again(gateway):
    await gateway.client.get("/api/v1/products")

    fresh = await gateway.client.get("/api/v1/products", headers={"Cache-Control": "no-cache"})

    assert fresh.headers["x-cache"] == "MISS"


async def test_an_error_of_inventory_is_relayed_and_never_cached(gateway, services):
    """A query only inventory refuses (the gateway passes `after` on unchecked)."""
    seen = services.inventory.requests_seen()

    refused = await gateway.client.get("/api/v1/products?after=not-a-sku")
    again = await gateway.client.get("/api/v1/products?after=not-a-sku")

    assert refused.status_code == again.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert "x-cache" not in again.headers
    assert services.inventory.requests_seen() == seen + 2  # both asked inventory


async def test_an_admins_change_through_the_gateway_shows_in_the_next_list(gateway):
    sku = f"POSTER-{uuid.uuid4().hex[:8].upper()}"
    product = {"sku": sku, "name": "Poster", "price": 1599, "currency": "EUR", "stock": 3}
    await gateway.client.get("/api/v1/products?limit=100")
    cached = await gateway.client.get("/api/v1/products?limit=100")

    created = await gateway.client.post(
        "/api/v1/admin/products", json=product, headers=gateway.admin()
    )
    listed = await gateway.client.get("/api/v1/products?limit=100")
    restocked = await gateway.client.put(
        f"/api/v1/admin/products/{sku}/stock", json={"available": 7}, headers=gateway.admin()
    )
    relisted = await gateway.client.get("/api/v1/products?limit=100")

    assert cached.headers["x-cache"] == "HIT"
    assert (created.status_code, restocked.status_code) == (201, 200)
    assert (listed.headers["x-cache"], relisted.headers["x-cache"]) == ("MISS", "MISS")
    assert {p["sku"]: p["available"] for p in listed.json()}[sku] == 3
    assert {p["sku"]: p["available"] for p in relisted.json()}[sku] == 7


async def test_a_refused_change_leaves_the_cache_alone(gateway):
    await gateway.client.get("/api/v1/products")
    refused = await gateway.client.put(
        "/api/v1/admin/products/NO-SUCH-SKU/stock", json={"available": 1}, headers=gateway.admin()
    )
    again = await gateway.client.get("/api/v1/products")

    assert refused.status_code == 404
    assert again.headers["x-cache"] == "HIT"
