"""The identity the gateway vouches for: required where declared, roles enforced."""

import httpx
import pytest
from fastapi import APIRouter, Depends

from shopflow_kit import CustomerId, ServiceSettings, create_app, documented_problems, require_role
from shopflow_kit.problems import UNAUTHENTICATED

pytestmark = pytest.mark.unit

router = APIRouter()


@router.get("/mine", responses=documented_problems(UNAUTHENTICATED))
async def mine(customer_id: CustomerId) -> dict[str, str]:
    return {"customer": customer_id}


@router.put("/catalogue", dependencies=[Depends(require_role("admin"))])
async def change_catalogue() -> dict[str, str]:
    return {"changed": "yes"}


@pytest.fixture
async def client():
    app = create_app(ServiceSettings(service_name="t", port=0), title="t", routers=[router])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        yield c


async def test_the_customer_comes_from_the_gateway_header(client):
    response = await client.get("/mine", headers={"X-Customer-Id": "alice"})

    assert response.json() == {"customer": "alice"}


async def test_no_identity_is_a_401_problem(client):
    response = await client.get("/mine")

    assert response.status_code == 401
    assert response.json()["type"].endswith("/unauthenticated")


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"X-Customer-Id": "bob"}, 403),
        ({"X-Customer-Id": "bob", "X-Customer-Roles": "customer"}, 403),
        ({"X-Customer-Id": "root", "X-Customer-Roles": "customer, admin"}, 200),
    ],
)
async def test_a_role_protected_route_needs_identity_and_role(client, headers, status):
    assert (await client.put("/catalogue", headers=headers)).status_code == status


async def test_openapi_names_the_slugs_a_status_may_carry(client):
    spec = (await client.get("/openapi.json")).json()

    described = spec["paths"]["/mine"]["get"]["responses"]["401"]["description"]
    assert described == "Unauthorized: `unauthenticated`"
