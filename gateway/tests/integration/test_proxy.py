"""Forwarding: which headers cross, bodies streamed whole, statuses and problems unchanged."""

import json

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from shopflow_kit import PROBLEM_BASE
from shopflow_testing.servers import running_server

pytestmark = pytest.mark.integration

BIG = 3 * 1024 * 1024


def echo_inventory() -> FastAPI:
    """Answers `/products/{sku}` with the headers it got; `BIG-1` streams 3 MiB instead."""
    app = FastAPI()

    @app.get("/products/{sku}", response_model=None)
    async def product(sku: str, request: Request) -> JSONResponse | StreamingResponse:
        if sku == "BIG-1":
            chunks = (bytes([n % 251]) * 65536 for n in range(BIG // 65536))
            return StreamingResponse(chunks, media_type="application/octet-stream")
        headers = {"Keep-Alive": "timeout=5", "Proxy-Agent": "echo", "X-Kept": "yes"}
        headers |= {"Connection": "X-Hop-Out", "X-Hop-Out": "1"}
        return JSONResponse(dict(request.headers.items()), headers=headers)

    return app


@pytest.fixture
async def echo_gateway(gateway_for):
    async with running_server(echo_inventory()) as url:
        yield await gateway_for(inventory_url=url)


async def test_only_end_to_end_headers_reach_the_service(echo_gateway):
    sent = {
        "Connection": "keep-alive, X-Hop-In",
        "X-Hop-In": "1",
        "Keep-Alive": "timeout=5",
        "Proxy-Authorization": "Basic c2VjcmV0",
        "X-Request-ID": "checkout-42",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "tracestate": "shopflow=1",
        "Accept-Language": "fr",
    }

    answer = await echo_gateway.client.get(
        "/api/v1/products/MUG-001", headers=sent | echo_gateway.token("alice")
    )

    received = answer.json()
    for dropped in ("x-hop-in", "keep-alive", "proxy-authorization", "authorization"):
        assert dropped not in received
    assert received["x-request-id"] == "checkout-42"
    # The same trace, continued: the parent is now the gateway's own call to the service.
    _, trace_id, parent_id, flags = received["traceparent"].split("-")
    assert (trace_id, flags) == ("0af7651916cd43dd8448eb211c80319c", "01")
    assert parent_id != "b7ad6b7169203331"
    assert received["tracestate"] == "shopflow=1"
    assert received["accept-language"] == "fr"
    assert answer.headers["x-request-id"] == "checkout-42"
    assert answer.headers["x-kept"] == "yes"
    for dropped in ("keep-alive", "proxy-agent", "x-hop-out"):
        assert dropped not in answer.headers


async def test_a_request_id_is_made_when_the_client_sends_none(echo_gateway):
    answer = await echo_gateway.client.get("/api/v1/products/MUG-001")

    assert answer.json()["x-request-id"] == answer.headers["x-request-id"]


async def test_a_large_body_is_streamed_through_whole(echo_gateway):
    async with echo_gateway.client.stream("GET", "/api/v1/products/BIG-1") as answer:
        body = b"".join([chunk async for chunk in answer.aiter_bytes()])

    assert answer.status_code == 200
    assert len(body) == BIG
    assert body[65536] == 1


async def test_a_service_problem_passes_through_unchanged(gateway, services):
    answer = await gateway.client.get("/api/v1/products/NOPE-1")

    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == PROBLEM_BASE + "product-not-found"
    assert answer.json()["instance"] == "/products/NOPE-1"  # the service's own, not rewritten


async def test_placing_an_order_rewrites_its_location_and_replays_by_key(gateway, place_order):
    placed = await place_order(gateway.token("alice"), key="gateway-replay-1")
    replayed = await place_order(gateway.token("alice"), key="gateway-replay-1")

    assert placed.status_code == replayed.status_code == 202
    assert placed.json()["id"] == replayed.json()["id"]
    location = placed.headers["location"]
    assert location == f"/api/v1/orders/{placed.json()['id']}"
    read = await gateway.client.get(location, headers=gateway.token("alice"))
    assert read.json()["status"] == "PENDING"


async def test_a_body_over_the_limit_is_a_413_problem(gateway):
    items = [{"sku": "MUG-001", "quantity": 1}] * 40_000
    body = json.dumps({"items": items, "payment_method": "tok_visa"}).encode()
    assert len(body) > 1_048_576

    answer = await gateway.client.post(
        "/api/v1/orders",
        content=body,
        headers={"Content-Type": "application/json", **gateway.token("alice")},
    )

    assert answer.status_code == 413
    assert answer.json()["type"] == PROBLEM_BASE + "payload-too-large"


@pytest.mark.parametrize(
    ("path", "status", "slug"),
    [
        ("/api/v1/nothing-here", 404, "not-found"),
        ("/api/v2/products", 404, "not-found"),
        ("/api/v1/orders/not-a-uuid", 422, "validation-error"),
        ("/api/v1/products/lower-case", 422, "validation-error"),
    ],
)
async def test_unknown_routes_and_bad_ids_are_problems(gateway, path, status, slug):
    answer = await gateway.client.get(path, headers=gateway.token("alice"))

    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == PROBLEM_BASE + slug


async def test_a_header_with_bytes_beyond_ascii_crosses_unchanged(echo_gateway):
    # RFC 9110 allows obs-text (0x80-0xFF) in a field value: opaque, but no reason to fail.
    answer = await echo_gateway.client.get(
        "/api/v1/products/MUG-001", headers={"X-Note": "café ☕".encode()}
    )

    assert answer.status_code == 200
    assert answer.json()["x-note"].encode("latin-1") == "café ☕".encode()
