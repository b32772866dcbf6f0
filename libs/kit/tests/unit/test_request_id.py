"""X-Request-ID: kept when sane, generated otherwise, echoed and bound to logs."""

import re

import pytest
from fastapi import APIRouter

from shopflow_kit import create_app, current_log_context

pytestmark = pytest.mark.unit

router = APIRouter()


@router.get("/whoami")
async def whoami() -> dict[str, str]:
    return {"request_id": current_log_context()["request_id"]}


@pytest.fixture
def app(settings):
    return create_app(settings, title="request id", routers=[router])


async def test_incoming_request_id_is_echoed_and_bound_to_logs(app, client_for):
    async with client_for(app) as client:
        response = await client.get("/whoami", headers={"X-Request-ID": "gw-7f3a.42"})

    assert response.headers["x-request-id"] == "gw-7f3a.42"
    assert response.json() == {"request_id": "gw-7f3a.42"}


@pytest.mark.parametrize("incoming", [None, "", "a" * 129, "has space", "tab\there", b"na\xefve"])
async def test_missing_or_insane_request_id_is_replaced(app, client_for, incoming):
    headers = {} if incoming is None else {"X-Request-ID": incoming}
    async with client_for(app) as client:
        response = await client.get("/whoami", headers=headers)

    request_id = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert response.json() == {"request_id": request_id}


async def test_each_request_gets_its_own_id(app, client_for):
    async with client_for(app) as client:
        first = await client.get("/whoami")
        second = await client.get("/whoami")

    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_error_answers_carry_the_request_id(app, client_for):
    async with client_for(app) as client:
        response = await client.get("/missing", headers={"X-Request-ID": "trace-me"})

    assert response.status_code == 404
    assert response.headers["x-request-id"] == "trace-me"
