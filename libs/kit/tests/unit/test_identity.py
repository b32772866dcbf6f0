"""The caller as a service token says, and nothing else: required where declared, roles
enforced, refused when forged, expired, for another service or signed with another key."""

import time

import httpx
import jwt
import pytest
from fastapi import APIRouter

from shopflow_kit import CustomerId, ServiceSettings, create_app, documented_problems
from shopflow_kit.identity import Caller, InvalidTokenError, ServiceTokens, admin_only, bearer
from shopflow_kit.problems import UNAUTHENTICATED

pytestmark = pytest.mark.unit

KEY = "kit-unit-tests-service-token-key-0123456789"
ALICE = Caller("alice", frozenset({"customer"}))
ADA = Caller("ada", frozenset({"customer", "admin"}))

router = APIRouter()


@router.get("/mine", responses=documented_problems(UNAUTHENTICATED))
async def mine(customer_id: CustomerId) -> dict[str, str]:
    return {"customer": customer_id}


@router.put("/catalogue", dependencies=[admin_only])
async def change_catalogue() -> dict[str, str]:
    return {"changed": "yes"}


@pytest.fixture
async def client():
    settings = ServiceSettings(service_name="shelf", port=0, service_token_secret=KEY)
    app = create_app(settings, title="t", routers=[router])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        yield c


def signed(caller: Caller, audience: str = "shelf", **options) -> dict[str, str]:
    key = options.pop("key", KEY)
    return bearer(ServiceTokens(key, issuer="gateway", **options).sign(caller, audience))


async def test_the_customer_comes_from_the_service_token(client):
    response = await client.get("/mine", headers=signed(ALICE))

    assert response.json() == {"customer": "alice"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Customer-Id": "alice", "X-Customer-Roles": "admin"},
        signed(ALICE, key="another-deployment-s-key-0123456789abcdef"),
        signed(ALICE, audience="order"),
        signed(ALICE, clock=lambda: 1_000_000_000.0),
        {"Authorization": "Bearer not-a-jwt"},
    ],
    ids=["none", "forged-headers", "another-key", "another-service", "expired", "garbage"],
)
async def test_no_valid_service_token_is_a_401_problem_with_a_bearer_challenge(client, headers):
    response = await client.get("/mine", headers=headers)

    assert response.status_code == 401
    assert response.json()["type"].endswith("/unauthenticated")
    assert response.headers["www-authenticate"].startswith('Bearer realm="shopflow"')


@pytest.mark.parametrize(
    ("caller", "status"), [(None, 401), (ALICE, 403), (ADA, 200)], ids=["none", "alice", "ada"]
)
async def test_an_admin_route_needs_a_token_with_the_admin_role(client, caller, status):
    headers = signed(caller) if caller else {}

    assert (await client.put("/catalogue", headers=headers)).status_code == status


def test_a_token_is_good_for_a_minute_and_one_service():
    now = time.time()
    fresh = ServiceTokens(KEY, issuer="gateway", clock=lambda: now - 50).sign(ADA, "shelf")
    stale = ServiceTokens(KEY, issuer="gateway", clock=lambda: now - 70).sign(ADA, "shelf")
    verifier = ServiceTokens(KEY, issuer="shelf")

    assert verifier.verify(fresh, "shelf") == ADA
    with pytest.raises(InvalidTokenError, match="expired"):
        verifier.verify(stale, "shelf")
    with pytest.raises(InvalidTokenError, match="Audience"):
        verifier.verify(fresh, "order")


def test_a_token_verified_before_is_answered_from_memory_until_it_expires(monkeypatch):
    now = time.time()
    token = ServiceTokens(KEY, issuer="gateway", clock=lambda: now - 50).sign(ADA, "shelf")
    verifier = ServiceTokens(KEY, issuer="shelf")
    decoded = []
    decode = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: decoded.append(a[0]) or decode(*a, **k))

    first, again = verifier.verify(token, "shelf"), verifier.verify(token, "shelf")
    with pytest.raises(InvalidTokenError, match="Audience"):
        verifier.verify(token, "order")  # another audience is another question
    monkeypatch.setattr(time, "time", lambda: now + 16)  # 66 s after signing: leeway passed

    with pytest.raises(InvalidTokenError, match="expired"):
        verifier.verify(token, "shelf")
    assert first == again == ADA
    assert decoded == [token, token]  # the second verify for "shelf" decoded nothing


async def test_openapi_names_the_slugs_a_status_may_carry(client):
    spec = (await client.get("/openapi.json")).json()

    described = spec["paths"]["/mine"]["get"]["responses"]["401"]["description"]
    assert described == "Unauthorized: `unauthenticated`"
