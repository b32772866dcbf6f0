"""The ledger, as the payment service's reconciliation and the auditor read it."""

import uuid

import pytest

pytestmark = pytest.mark.integration


def new_key():
    return str(uuid.uuid4())


async def test_charges_are_found_by_order_including_declined_ones(simulator):
    order_id = str(uuid.uuid4())
    await simulator.charge(new_key(), "tok_chargeDeclined", order_id=order_id)
    await simulator.charge(new_key(), "tok_visa", order_id=order_id)
    await simulator.charge(new_key(), "tok_visa", order_id=str(uuid.uuid4()))

    found = await simulator.charges(order_id=order_id)

    assert [c["status"] for c in found] == ["failed", "succeeded"]


async def test_the_ledger_is_read_page_by_page(simulator, client):
    order_id = str(uuid.uuid4())
    for _ in range(5):
        await simulator.charge(new_key(), order_id=order_id)

    first = (await client.get("/v1/charges", params={"order_id": order_id, "limit": 3})).json()
    rest = (
        await client.get(
            "/v1/charges",
            params={"order_id": order_id, "limit": 3, "starting_after": first["data"][-1]["id"]},
        )
    ).json()

    assert (len(first["data"]), first["has_more"]) == (3, True)
    assert (len(rest["data"]), rest["has_more"]) == (2, False)
    pages = [c["id"] for c in first["data"] + rest["data"]]
    assert pages == [c["id"] for c in await simulator.charges(order_id=order_id)]
    assert len(set(pages)) == 5


@pytest.mark.parametrize(
    ("params", "status"),
    [({"limit": 0}, 422), ({"limit": 101}, 422), ({"starting_after": "ch_nope"}, 404)],
)
async def test_bad_ledger_queries_are_problems(client, params, status):
    response = await client.get("/v1/charges", params=params)

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
