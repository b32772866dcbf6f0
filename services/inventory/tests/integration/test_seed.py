import pytest

from shopflow_inventory.seed import DEMO_PRODUCTS, seed

pytestmark = pytest.mark.integration


async def test_seeding_twice_changes_nothing(settings, client, admin):
    await seed(settings)
    first = (await client.get("/audit/stock", headers=admin)).json()

    await seed(settings)

    assert (await client.get("/audit/stock", headers=admin)).json() == first
    assert [row["sku"] for row in first] == sorted(p.sku for p in DEMO_PRODUCTS)
    assert all(row["consistent"] for row in first)


async def test_seeding_keeps_the_stock_an_admin_set(settings, client, admin):
    await seed(settings)
    await client.put("/admin/products/MUG-001/stock", json={"available": 3}, headers=admin)

    await seed(settings)

    assert (await client.get("/products/MUG-001")).json()["available"] == 3


async def test_the_demo_has_a_last_unit_and_a_sold_out_product(settings, client):
    await seed(settings)

    products = (await client.get("/products", params={"sku": ["LAST-ONE", "SOLD-OUT"]})).json()

    assert {p["sku"]: p["available"] for p in products} == {"LAST-ONE": 1, "SOLD-OUT": 0}
