"""Services verify the caller themselves (ADR 0017): a process that reaches a service's
port directly, past the gateway, is nobody unless it holds the deployment's key."""

import uuid

import httpx
import pytest

from shopflow_kit import PROBLEM_BASE
from shopflow_kit.identity import Caller, ServiceTokens, bearer
from shopflow_testing.callers import as_admin, signed_in

pytestmark = pytest.mark.integration

ORDER = uuid.uuid4()
PRODUCT = {"sku": "FORGED-1", "name": "Forged", "price": 1, "currency": "EUR", "stock": 1}
# Every route that acts for someone, as a direct caller would reach it.
ROUTES = [
    ("order", "GET", "/orders", None),
    ("order", "POST", f"/orders/{ORDER}/cancel", None),
    ("inventory", "POST", "/admin/products", PRODUCT),
    ("inventory", "GET", "/audit/stock", None),
    ("inventory", "GET", f"/reservations/{ORDER}", None),
    ("payment", "GET", f"/payments?order_id={ORDER}", None),
    ("notification", "GET", f"/notifications?order_id={ORDER}", None),
]
FORGED = {"X-Customer-Id": "ada", "X-Customer-Roles": "customer,admin"}
ANOTHER_KEY = "not-this-deployment-s-key-0123456789abcdef"


def forgeries(gateway, service: str) -> dict[str, dict[str, str]]:
    admin = Caller("ada", frozenset({"customer", "admin"}))
    return {
        "no token": {},
        "identity headers": FORGED,
        "an admin's own access token": gateway.admin(),
        "another service's token": as_admin("order" if service != "order" else "payment"),
        "another key's token": bearer(ServiceTokens(ANOTHER_KEY, issuer="x").sign(admin, service)),
    }


@pytest.mark.parametrize(("service", "method", "path", "body"), ROUTES)
async def test_a_direct_call_without_a_token_signed_for_the_service_is_a_401(
    gateway, services, service, method, path, body
):
    url = getattr(services, service).url
    async with httpx.AsyncClient(base_url=url) as client:
        for forgery, headers in forgeries(gateway, service).items():
            answer = await client.request(method, path, json=body, headers=headers)

            assert answer.status_code == 401, forgery
            assert answer.json()["type"] == PROBLEM_BASE + "unauthenticated", forgery
            assert answer.headers["www-authenticate"].startswith("Bearer"), forgery


async def test_admin_routes_need_the_admin_role_at_the_service_too(services):
    async with httpx.AsyncClient(base_url=services.inventory.url) as client:
        as_customer = signed_in("inventory", "bob")
        created = await client.post("/admin/products", json=PRODUCT, headers=as_customer)
        audit = await client.get("/audit/stock", headers=as_customer)

    assert (created.status_code, audit.status_code) == (403, 403)


async def test_the_gateway_signs_each_call_for_its_service(gateway, place_order):
    placed = await place_order(gateway.token("alice"))
    details = await gateway.client.get(
        f"/api/v1/orders/{placed.json()['id']}/details", headers=gateway.token("alice")
    )

    assert placed.status_code == 202
    assert details.status_code == 200
    assert details.json()["unavailable"] == []  # order, payment and notification all said yes
