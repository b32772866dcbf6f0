import uuid

import pytest

from shopflow_testing.callers import signed_in

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


def a_product(**overrides):
    sku = f"API-{uuid.uuid4().hex[:10].upper()}"
    return {"sku": sku, "name": "Coffee mug", "price": 1299, "currency": "EUR", **overrides}


def problem_type(response):
    assert response.headers["content-type"] == PROBLEM
    return response.json()["type"].rsplit("/", 1)[-1]


async def test_an_admin_adds_a_product_that_everyone_can_read(client, admin):
    body = a_product(stock=7)

    created = await client.post("/admin/products", json=body, headers=admin)
    read = await client.get(created.headers["location"])

    assert created.status_code == 201
    assert created.headers["location"] == f"/products/{body['sku']}"
    expected = {"sku": body["sku"], "name": "Coffee mug", "price": 1299, "currency": "EUR"}
    assert created.json() == read.json() == {**expected, "available": 7}


async def test_a_sku_is_added_once(client, admin):
    body = a_product()
    await client.post("/admin/products", json=body, headers=admin)

    again = await client.post("/admin/products", json={**body, "name": "Other"}, headers=admin)

    assert again.status_code == 409
    assert problem_type(again) == "product-exists"
    assert (await client.get(f"/products/{body['sku']}")).json()["name"] == "Coffee mug"


@pytest.mark.parametrize(
    "change",
    [
        {"sku": "mug-1"},
        {"price": 0},
        {"price": 10**12},
        {"price": "12.99"},
        {"currency": "euro"},
        {"stock": -1},
        {"stock": 10**7},
        {"name": ""},
        {"name": "Mug\u0000"},  # PostgreSQL's text cannot hold U+0000
        {"name": "Two\nlines"},
        {"sku": None},
    ],
)
async def test_a_product_out_of_bounds_is_a_validation_problem(client, admin, change):
    response = await client.post("/admin/products", json=a_product(**change), headers=admin)

    assert response.status_code == 422
    assert problem_type(response) == "validation-error"
    assert response.json()["errors"][0]["loc"][:2] == ["body", next(iter(change))]


async def test_malformed_json_is_a_bad_request(client, admin):
    response = await client.post(
        "/admin/products",
        content=b'{"sku": "MUG-001",',
        headers={**admin, "content-type": "application/json"},
    )

    assert response.status_code == 400
    assert problem_type(response) == "malformed-json"


async def test_an_oversized_body_is_refused_unread(client, admin):
    response = await client.post(
        "/admin/products", json=a_product(name="x" * 2_000_000), headers=admin
    )

    assert response.status_code == 413
    assert problem_type(response) == "payload-too-large"


@pytest.mark.parametrize(
    ("caller", "status", "slug"),
    [
        ("nobody", 401, "unauthenticated"),
        ("forged headers", 401, "unauthenticated"),
        ("a customer", 403, "forbidden"),
    ],
)
async def test_only_an_admin_changes_the_catalogue(client, caller, status, slug):
    headers = {
        "nobody": {},
        "forged headers": {"X-Customer-Id": "ada", "X-Customer-Roles": "customer,admin"},
        "a customer": signed_in("inventory", "bob"),
    }[caller]
    body = a_product()

    created = await client.post("/admin/products", json=body, headers=headers)
    stocked = await client.put(
        f"/admin/products/{body['sku']}/stock", json={"available": 1}, headers=headers
    )

    assert (created.status_code, problem_type(created)) == (status, slug)
    assert (stocked.status_code, problem_type(stocked)) == (status, slug)
    assert (await client.get(f"/products/{body['sku']}")).status_code == 404


async def test_an_unknown_product_is_a_not_found_problem(client):
    response = await client.get("/products/NO-SUCH-SKU")

    assert response.status_code == 404
    assert problem_type(response) == "product-not-found"
    assert response.json()["sku"] == "NO-SUCH-SKU"


async def test_a_malformed_sku_is_a_validation_problem(client):
    response = await client.get("/products/not a sku")

    assert response.status_code == 422
    assert problem_type(response) == "validation-error"


async def test_an_admin_sets_the_units_available(client, admin):
    body = a_product(stock=3)
    await client.post("/admin/products", json=body, headers=admin)

    response = await client.put(
        f"/admin/products/{body['sku']}/stock", json={"available": 40}, headers=admin
    )

    assert response.status_code == 200
    assert response.json()["available"] == 40
    assert (await client.get(f"/products/{body['sku']}")).json()["available"] == 40


@pytest.mark.parametrize("body", [{"available": -1}, {"available": 1_000_001}, {}])
async def test_stock_out_of_bounds_is_a_validation_problem(client, admin, body):
    response = await client.put("/admin/products/MUG-001/stock", json=body, headers=admin)

    assert response.status_code == 422
    assert problem_type(response) == "validation-error"


async def test_setting_the_stock_of_an_unknown_product_is_not_found(client, admin):
    response = await client.put(
        "/admin/products/NO-SUCH-SKU/stock", json={"available": 1}, headers=admin
    )

    assert response.status_code == 404
    assert problem_type(response) == "product-not-found"
