"""A provider that fails at random, before or after charging: retries never charge twice."""

import uuid

import pytest

from shopflow_kit.upstream import UpstreamPolicy, UpstreamUnavailable

pytestmark = pytest.mark.integration


@pytest.fixture
def policy():
    # A flaky provider must not open the breaker here: this test is about retries alone.
    return UpstreamPolicy.model_validate(
        {"retries": {"backoff_seconds": 0.001}, "breaker_fail_max": 1000}
    )


async def test_retried_charges_on_a_flaky_provider_charge_each_order_exactly_once(
    charge, simulator
):
    await simulator.set_faults(error_rate=0.3, fail_after_commit_rate=0.3)
    orders = [uuid.uuid4() for _ in range(10)]
    payments = {}
    for order_id in orders:
        for _ in range(50):  # redeliveries; 0.3⁵⁰ makes running out a non-event
            try:
                payments[order_id] = await charge(order_id)
                break
            except UpstreamUnavailable:
                continue

    assert simulator.charge_requests() > len(orders)  # the faults did strike
    await simulator.set_faults()
    for order_id in orders:
        [charged] = await simulator.charges(order_id)
        assert charged["id"] == payments[order_id].provider_charge_id
