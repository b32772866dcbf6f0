"""Every error answer is application/problem+json, and OpenAPI says so."""

import logging

import pytest
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from shopflow_kit import (
    PROBLEM_BASE,
    DomainError,
    Problem,
    ProblemType,
    create_app,
    documented_problems,
)
from shopflow_kit.problems import VALIDATION_ERROR

pytestmark = pytest.mark.unit

PROBLEM_JSON = "application/problem+json"
router = APIRouter()
ORDER_ALREADY_PLACED = ProblemType(409, "order-already-placed", "Order already placed")


class OutOfStockError(DomainError):
    problem = ProblemType(409, "out-of-stock", "Out of stock")


class NewOrder(BaseModel):
    sku: str
    quantity: int


@router.post(
    "/orders",
    responses=documented_problems(ORDER_ALREADY_PLACED, OutOfStockError, VALIDATION_ERROR),
)
async def place_order(order: NewOrder) -> dict[str, str]:
    if order.quantity > 10:
        raise OutOfStockError(f"only 10 of {order.sku} left", sku=order.sku)
    raise Problem(ORDER_ALREADY_PLACED, "order 7 exists", order_id=7)


@router.get("/private")
async def private() -> None:
    raise HTTPException(401, "token expired", headers={"WWW-Authenticate": "Bearer"})


@router.get("/crash")
async def crash() -> None:
    raise RuntimeError("password=hunter2 in /srv/app/secret.py")


@pytest.fixture
def app(settings):
    return create_app(settings, title="problems", routers=[router])


async def test_raised_problem_becomes_its_body(app, client_for):
    async with client_for(app) as client:
        response = await client.post("/orders", json={"sku": "A-1", "quantity": 2})

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == {
        "type": PROBLEM_BASE + "order-already-placed",
        "title": "Order already placed",
        "status": 409,
        "detail": "order 7 exists",
        "instance": "/orders",
        "order_id": 7,
    }


async def test_a_domain_error_is_answered_as_its_problem_wherever_it_is_raised(app, client_for):
    async with client_for(app) as client:
        response = await client.post("/orders", json={"sku": "A-1", "quantity": 11})

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == {
        "type": PROBLEM_BASE + "out-of-stock",
        "title": "Out of stock",
        "status": 409,
        "detail": "only 10 of A-1 left",
        "instance": "/orders",
        "sku": "A-1",
    }


async def test_unknown_route_is_a_not_found_problem(app, client_for):
    async with client_for(app) as client:
        response = await client.get("/nowhere")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"] == PROBLEM_BASE + "not-found"


async def test_wrong_method_keeps_allow_header(app, client_for):
    async with client_for(app) as client:
        response = await client.delete("/orders")

    assert response.status_code == 405
    assert response.json()["type"] == PROBLEM_BASE + "method-not-allowed"
    assert response.headers["allow"] == "POST"


async def test_http_exception_keeps_detail_and_headers(app, client_for):
    async with client_for(app) as client:
        response = await client.get("/private")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"] == PROBLEM_BASE + "unauthorized"
    assert response.json()["detail"] == "token expired"


async def test_invalid_body_lists_each_error(app, client_for):
    async with client_for(app) as client:
        response = await client.post("/orders", json={"sku": "A-1", "quantity": "many"})

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["type"] == PROBLEM_BASE + "validation-error"
    assert body["errors"] == [
        {
            "loc": ["body", "quantity"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "type": "int_parsing",
        }
    ]


async def test_body_that_is_not_json_is_a_400(app, client_for):
    async with client_for(app) as client:
        response = await client.post(
            "/orders", content=b'{"sku": ', headers={"content-type": "application/json"}
        )

    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"] == PROBLEM_BASE + "malformed-json"


async def test_unhandled_error_is_an_opaque_500_logged_with_traceback(app, client_for, caplog):
    async with client_for(app) as client:
        response = await client.get("/crash")

    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"] == PROBLEM_BASE + "internal-error"
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert "x-request-id" in response.headers
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info is not None
    assert "hunter2" in str(record.exc_info[1])


def test_openapi_documents_problem_bodies(app):
    responses = app.openapi()["paths"]["/orders"]["post"]["responses"]

    for status in ("409", "422"):
        assert list(responses[status]["content"]) == [PROBLEM_JSON]
        schema = responses[status]["content"][PROBLEM_JSON]["schema"]
        assert schema["title"] == "ProblemDetails"
        assert {"type", "title", "status"} <= set(schema["required"])
    assert responses["409"]["description"] == "Conflict: `order-already-placed`, `out-of-stock`"
    assert responses["422"]["description"] == "Unprocessable content: `validation-error`"
