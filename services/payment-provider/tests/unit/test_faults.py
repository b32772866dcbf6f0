import random

import pytest

from shopflow_kit import Problem
from shopflow_payment_provider.faults import (
    PROVIDER_OUTAGE,
    SIMULATED_LOST_RESPONSE,
    FaultConfig,
    Faults,
)

pytestmark = pytest.mark.unit


def faults(**config):
    configured = Faults(random.Random(7))
    configured.config = FaultConfig(**config)
    return configured


async def test_without_faults_every_call_goes_through():
    quiet = faults()

    for _ in range(100):
        await quiet.before_call()
        quiet.after_commit("POST")


async def test_an_error_rate_refuses_about_that_share_of_calls_with_500_or_503():
    flaky = faults(error_rate=0.3)
    statuses = []
    for _ in range(1000):
        try:
            await flaky.before_call()
        except Problem as refused:
            statuses.append(refused.status)

    assert 200 < len(statuses) < 400
    assert set(statuses) == {500, 503}


def test_only_writes_lose_their_response_after_commit():
    losing = faults(fail_after_commit_rate=1)

    losing.after_commit("GET")
    with pytest.raises(Problem) as lost:
        losing.after_commit("POST")

    assert lost.value.kind == SIMULATED_LOST_RESPONSE


async def test_an_outage_refuses_every_call_with_a_503():
    down = faults(outage=True)

    with pytest.raises(Problem) as refused:
        await down.before_call()

    assert refused.value.kind == PROVIDER_OUTAGE
