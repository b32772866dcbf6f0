import json
import uuid

import pytest

from shopflow_testing.callers import signed_in

pytestmark = pytest.mark.integration

MUG = {"sku": "MUG-1", "quantity": 1}
VALID = {"items": [MUG], "payment_method": "tok_visa"}


async def post_order(client, content, **headers):
    headers = {"Content-Type": "application/json", **headers}
    return await client.post("/orders", content=content, headers=headers)


async def test_a_request_without_a_customer_is_unauthenticated(client):
    response = await post_order(client, json.dumps(VALID), **{"Idempotency-Key": "k"})

    assert response.status_code == 401
    assert response.json()["type"].endswith("/unauthenticated")


async def test_a_request_without_an_idempotency_key_is_refused(client, customer):
    response = await post_order(client, json.dumps(VALID), **signed_in("order", customer))

    assert response.status_code == 400
    assert response.json()["type"].endswith("/idempotency-key-required")


@pytest.mark.parametrize("key", ["", "k" * 256, "tab\there"], ids=["empty", "256-chars", "tab"])
async def test_a_malformed_idempotency_key_is_refused(client, customer, key):
    headers = signed_in("order", customer) | {"Idempotency-Key": key}

    response = await post_order(client, json.dumps(VALID), **headers)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]


@pytest.mark.parametrize(
    ("content", "status", "slug"),
    [
        pytest.param({"items": []}, 422, "validation-error", id="no-items"),
        pytest.param({"items": [MUG] * 51}, 422, "validation-error", id="51-items"),
        pytest.param({"items": [MUG, MUG]}, 422, "validation-error", id="repeated-sku"),
        pytest.param({"items": [{**MUG, "quantity": 0}]}, 422, "validation-error", id="quantity-0"),
        pytest.param(
            {"items": [{**MUG, "quantity": 10_000}]}, 422, "validation-error", id="quantity-10000"
        ),
        pytest.param({"payment_method": None}, 422, "validation-error", id="no-payment-method"),
        pytest.param({"total": 1}, 422, "validation-error", id="unknown-field"),
        pytest.param("{not json", 400, "malformed-json", id="malformed-json"),
        pytest.param({"payment_method": "x" * 2_000_000}, 413, "payload-too-large", id="oversized"),
    ],
)
async def test_invalid_input_is_a_problem_never_a_500(
    client, customer, inventory, content, status, slug
):
    body = content if isinstance(content, str) else json.dumps(VALID | content)
    headers = signed_in("order", customer) | {"Idempotency-Key": str(uuid.uuid4())}

    response = await post_order(client, body, **headers)

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith(f"/{slug}")
    assert inventory.lookups == []
