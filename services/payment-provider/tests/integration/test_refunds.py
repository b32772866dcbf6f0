"""Refunds: only of a succeeded charge, never more than was charged, once per key."""

import asyncio
import uuid

import pytest

pytestmark = pytest.mark.integration


def new_key():
    return str(uuid.uuid4())


@pytest.fixture
async def charge(simulator):
    response = await simulator.charge(new_key(), amount=1000)
    assert response.status_code == 201
    return response.json()


async def refunded(simulator, charge):
    [stored] = await simulator.charges(idempotency_key=charge["idempotency_key"])
    return stored["amount_refunded"]


async def test_a_refund_is_by_default_all_that_is_left(simulator, charge):
    await simulator.refund(new_key(), charge["id"], amount=300)

    response = await simulator.refund(new_key(), charge["id"])

    assert response.status_code == 201
    assert (response.json()["amount"], response.json()["currency"]) == (700, "EUR")
    assert await refunded(simulator, charge) == 1000


async def test_a_repeated_refund_refunds_once(simulator, charge, key):
    first = await simulator.refund(key, charge["id"], amount=400)
    again = await simulator.refund(key, charge["id"], amount=400)

    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await refunded(simulator, charge) == 400


async def test_a_refund_key_reused_with_another_amount_is_refused(simulator, charge, key):
    await simulator.refund(key, charge["id"], amount=400)

    response = await simulator.refund(key, charge["id"], amount=500)

    assert response.status_code == 422
    assert response.json()["type"].endswith("/idempotency-key-reused")
    assert await refunded(simulator, charge) == 400


async def test_no_refund_exceeds_what_is_left(simulator, charge):
    await simulator.refund(new_key(), charge["id"], amount=600)

    too_much = await simulator.refund(new_key(), charge["id"], amount=401)
    after_full = await simulator.refund(new_key(), charge["id"], amount=400)
    nothing_left = await simulator.refund(new_key(), charge["id"])

    assert too_much.status_code == 409
    assert too_much.json()["type"].endswith("/refund-exceeds-charge")
    assert too_much.json()["refundable"] == 400
    assert after_full.status_code == 201
    assert nothing_left.status_code == 409
    assert await refunded(simulator, charge) == 1000


async def test_concurrent_full_refunds_with_different_keys_refund_once(simulator, charge):
    responses = await asyncio.gather(*(simulator.refund(new_key(), charge["id"]) for _ in range(5)))

    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]
    assert await refunded(simulator, charge) == 1000


async def test_a_declined_charge_cannot_be_refunded(simulator, key):
    declined = await simulator.charge(key, "tok_chargeDeclined")

    response = await simulator.refund(new_key(), declined.json()["charge_id"])

    assert response.status_code == 409
    assert response.json()["type"].endswith("/charge-not-refundable")


async def test_an_unknown_charge_cannot_be_refunded(simulator, key):
    response = await simulator.refund(key, "ch_000000000000000000000000")

    assert response.status_code == 404
    assert response.json()["type"].endswith("/charge-not-found")
