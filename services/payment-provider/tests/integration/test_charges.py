"""Charges: test cards decide the outcome, and an Idempotency-Key never charges twice."""

import asyncio

import pytest

pytestmark = pytest.mark.integration


def problem_type(response):
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()["type"].rsplit("/", 1)[-1]


async def test_an_approved_card_is_charged(simulator, key):
    response = await simulator.charge(key, "tok_visa", 4599, order_id="order-1")

    assert response.status_code == 201
    charge = response.json()
    assert charge["id"].startswith("ch_")
    assert charge["status"] == "succeeded"
    assert (charge["amount"], charge["currency"]) == (4599, "EUR")
    assert charge["metadata"] == {"order_id": "order-1"}
    assert "Idempotent-Replayed" not in response.headers


async def test_a_repeated_request_returns_the_first_charge_and_charges_once(simulator, key):
    first = await simulator.charge(key)
    again = await simulator.charge(key)

    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(await simulator.charges(idempotency_key=key)) == 1


async def test_a_declined_card_is_a_402_recorded_and_replayed(simulator, key):
    first = await simulator.charge(key, "tok_chargeDeclinedInsufficientFunds")
    again = await simulator.charge(key, "tok_chargeDeclinedInsufficientFunds")

    assert first.status_code == again.status_code == 402
    assert problem_type(first) == "card-declined"
    assert first.json()["decline_code"] == "insufficient_funds"
    assert again.json()["charge_id"] == first.json()["charge_id"]
    [recorded] = await simulator.charges(idempotency_key=key)
    assert (recorded["status"], recorded["id"]) == ("failed", first.json()["charge_id"])


async def test_an_unknown_source_is_refused_and_not_recorded(simulator, key):
    response = await simulator.charge(key, "tok_unknown")

    assert response.status_code == 422
    assert problem_type(response) == "invalid-source"
    assert await simulator.charges(idempotency_key=key) == []


@pytest.mark.parametrize(
    "change", [{"amount": 2000}, {"source": "tok_mastercard"}, {"order_id": "another"}]
)
async def test_a_key_reused_with_another_body_is_refused(simulator, key, change):
    first = await simulator.charge(key, order_id="order-1")

    reused = await simulator.charge(key, **{"order_id": "order-1", **change})

    assert reused.status_code == 422
    assert problem_type(reused) == "idempotency-key-reused"
    assert await simulator.charges(idempotency_key=key) == [first.json()]


async def test_concurrent_requests_with_one_key_make_one_charge(simulator, key):
    responses = await asyncio.gather(*(simulator.charge(key) for _ in range(8)))

    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(await simulator.charges(idempotency_key=key)) == 1


VALID = {"amount": 100, "currency": "EUR", "source": "tok_visa"}


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, VALID),
        ({"Idempotency-Key": "k"}, VALID | {"amount": 0}),
        ({"Idempotency-Key": "k"}, VALID | {"currency": "eur"}),
        ({"Idempotency-Key": "k"}, VALID | {"metadata": {f"k{i}": "v" for i in range(21)}}),
        ({"Idempotency-Key": "k"}, VALID | {"unknown": 1}),
        ({"Idempotency-Key": "k"}, VALID | {"metadata": {"order_id": "7\u0000"}}),
        ({"Idempotency-Key": "k"}, VALID | {"description": "\u0000"}),
    ],
    ids=[
        "no-idempotency-key",
        "zero-amount",
        "lower-case-currency",
        "metadata",
        "unknown-field",
        "nul-in-metadata",
        "nul-in-description",
    ],
)
async def test_invalid_requests_are_validation_problems(client, headers, body):
    response = await client.post("/v1/charges", json=body, headers=headers)

    assert response.status_code == 422
    assert problem_type(response) == "validation-error"


async def test_a_ledger_query_with_text_it_cannot_store_is_a_validation_problem(client):
    response = await client.get("/v1/charges", params={"order_id": "7\x00"})

    assert response.status_code == 422
    assert problem_type(response) == "validation-error"


async def test_a_charge_can_be_read_by_id(simulator, client, key):
    charge = (await simulator.charge(key)).json()

    assert (await client.get(f"/v1/charges/{charge['id']}")).json() == charge
    missing = await client.get("/v1/charges/ch_000000000000000000000000")
    assert missing.status_code == 404
    assert problem_type(missing) == "charge-not-found"
