"""Who may call what: logins, bearer tokens, roles, and identity taken only from the token."""

import time

import jwt
import pytest

from shopflow_gateway.tokens import ALGORITHM
from shopflow_kit import PROBLEM_BASE

from .conftest import TEST_SECRET

pytestmark = pytest.mark.integration


def bearer(claims, secret=TEST_SECRET):
    now = int(time.time())
    base = {"sub": "alice", "roles": ["customer"], "iss": "shopflow-gateway"}
    base |= {"aud": "shopflow-api", "iat": now, "exp": now + 60}
    return {"Authorization": f"Bearer {jwt.encode(base | claims, secret, ALGORITHM)}"}


async def test_a_demo_user_logs_in_and_calls_with_the_token(gateway):
    login = {"username": "alice", "password": "alice-password"}

    answer = await gateway.client.post("/auth/token", json=login)

    assert answer.status_code == 200
    token = answer.json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] > 0
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await gateway.client.get("/api/v1/orders", headers=headers)).status_code == 200


@pytest.mark.parametrize(
    "login",
    [
        {"username": "alice", "password": "bob-password"},
        {"username": "mallory", "password": "alice-password"},
    ],
    ids=["wrong-password", "unknown-user"],
)
async def test_wrong_credentials_are_one_401_problem(gateway, login):
    answer = await gateway.client.post("/auth/token", json=login)

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == PROBLEM_BASE + "invalid-credentials"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ="},
        bearer({"exp": int(time.time()) - 60}),
        bearer({}, secret="someone-elses-secret-0123456789abcdef"),
        bearer({"aud": "another-api"}),
        bearer({"iss": "someone-else"}),
        {"Authorization": "Bearer not-a-jwt"},
    ],
    ids=["none", "basic", "expired", "forged", "wrong-audience", "wrong-issuer", "garbage"],
)
async def test_no_valid_token_is_a_401_problem_with_a_bearer_challenge(gateway, headers):
    answer = await gateway.client.get("/api/v1/orders", headers=headers)

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == PROBLEM_BASE + "unauthenticated"
    assert answer.headers["www-authenticate"].startswith('Bearer realm="shopflow"')


async def test_product_reads_need_no_token(gateway):
    assert (await gateway.client.get("/api/v1/products")).status_code == 200
    assert (await gateway.client.get("/api/v1/products/MUG-001")).status_code == 200


async def test_a_client_supplied_identity_is_ignored(gateway, place_order, customer):
    mallory = {"X-Customer-Id": customer, "X-Customer-Roles": "admin"}

    placed = await place_order({**gateway.token("alice"), **mallory})
    order = f"/api/v1/orders/{placed.json()['id']}"

    assert placed.status_code == 202
    assert (await gateway.client.get(order, headers=gateway.token("alice"))).status_code == 200
    assert (await gateway.client.get(order, headers=gateway.token(customer))).status_code == 404
    anonymous = await gateway.client.get("/api/v1/orders", headers=mallory)
    assert anonymous.status_code == 401


async def test_admin_routes_need_the_admin_role(gateway):
    product = {"sku": "POSTER-A2", "name": "Poster", "price": 1599, "currency": "EUR", "stock": 3}
    as_customer = gateway.token("alice") | {"X-Customer-Roles": "admin"}

    refused = await gateway.client.post("/api/v1/admin/products", json=product, headers=as_customer)
    created = await gateway.client.post(
        "/api/v1/admin/products", json=product, headers=gateway.admin()
    )

    assert refused.status_code == 403
    assert refused.json()["type"] == PROBLEM_BASE + "forbidden"
    assert created.status_code == 201
    assert created.headers["location"] == "/api/v1/products/POSTER-A2"
    stock = await gateway.client.put(
        "/api/v1/admin/products/POSTER-A2/stock", json={"available": 7}, headers=gateway.admin()
    )
    assert stock.json()["available"] == 7
