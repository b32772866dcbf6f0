"""The product list, cached in Redis per query for a few seconds."""

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
