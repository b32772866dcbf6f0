"""Fault controls: they break /v1 on demand, and never health, readiness or /admin."""

import pytest

from shopflow_testing.callers import signed_in

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
async def no_faults_left_behind(client, admin):
    yield
    await client.delete("/admin/faults", headers=admin)


async def test_faults_start_off_and_can_be_read_back(client, admin, simulator):
    assert (await client.get("/admin/faults", headers=admin)).json() == {
        "latency_ms": 0,
        "error_rate": 0.0,
        "outage": False,
        "fail_after_commit_rate": 0.0,
    }

    await simulator.set_faults(latency_ms=250, error_rate=0.5)

    faults = (await client.get("/admin/faults", headers=admin)).json()
    assert (faults["latency_ms"], faults["error_rate"], faults["outage"]) == (250, 0.5, False)


async def test_an_outage_refuses_every_v1_call_and_nothing_else(client, admin, simulator, key):
    await simulator.set_faults(outage=True)

    charge = await simulator.charge(key)
    ledger = await client.get("/v1/charges")

    assert charge.status_code == ledger.status_code == 503
    assert charge.json()["type"].endswith("/provider-outage")
    for path in ("/healthz", "/readyz", "/admin/faults"):
        assert (await client.get(path, headers=admin)).status_code == 200, path
    await client.delete("/admin/faults", headers=admin)
    assert await simulator.charges(idempotency_key=key) == []


async def test_a_random_error_does_nothing(client, admin, simulator, key):
    await simulator.set_faults(error_rate=1)

    response = await simulator.charge(key)

    assert response.status_code in (500, 503)
    assert response.json()["type"].endswith("/simulated-fault")
    await client.delete("/admin/faults", headers=admin)
    assert await simulator.charges(idempotency_key=key) == []


async def test_a_lost_response_still_charged_and_a_retry_finds_that_charge(
    client, admin, simulator, key
):
    await simulator.set_faults(fail_after_commit_rate=1)

    lost = await simulator.charge(key)
    await client.delete("/admin/faults", headers=admin)
    retried = await simulator.charge(key)

    assert lost.status_code == 500
    assert lost.json()["type"].endswith("/simulated-lost-response")
    assert retried.status_code == 201
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert await simulator.charges(idempotency_key=key) == [retried.json()]


async def test_deleting_the_faults_switches_them_all_off(client, admin, simulator, key):
    await simulator.set_faults(outage=True, error_rate=1, fail_after_commit_rate=1)

    assert (await client.delete("/admin/faults", headers=admin)).status_code == 204

    assert (await simulator.charge(key)).status_code == 201


@pytest.mark.parametrize(
    "faults",
    [{"latency_ms": 30_001}, {"error_rate": 1.5}, {"fail_after_commit_rate": -0.1}, {"x": 1}],
)
async def test_out_of_range_faults_are_refused(client, admin, faults):
    response = await client.put("/admin/faults", json=faults, headers=admin)

    assert response.status_code == 422
    assert response.json()["type"].endswith("/validation-error")


@pytest.mark.parametrize(
    ("caller", "status"),
    [("nobody", 401), ("forged headers", 401), ("a customer", 403)],
)
async def test_only_an_admin_switches_faults(client, caller, status):
    headers = {
        "nobody": {},
        "forged headers": {"X-Customer-Id": "ada", "X-Customer-Roles": "admin"},
        "a customer": signed_in("payment-provider", "bob"),
    }[caller]

    read = await client.get("/admin/faults", headers=headers)
    switched = await client.put("/admin/faults", json={"outage": True}, headers=headers)
    cleared = await client.delete("/admin/faults", headers=headers)

    assert [read.status_code, switched.status_code, cleared.status_code] == [status] * 3
    assert (await client.get("/v1/charges")).status_code == 200  # no outage in force
