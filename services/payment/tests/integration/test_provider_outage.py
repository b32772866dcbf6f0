"""A provider outage: the breaker opens, calls fail fast without reaching it, then it recovers."""

import asyncio

import pytest

from shopflow_contracts.payment import ChargePayment, PaymentCharged
from shopflow_kit.messaging.consumer_retry import ConsumerRetryPolicy
from shopflow_kit.messaging.dead_letters import read_dead_letters
from shopflow_kit.upstream import UpstreamPolicy, UpstreamUnavailable
from shopflow_payment.models import PaymentStatus
from shopflow_testing.callers import signed_in

pytestmark = pytest.mark.integration

BREAKER_FAIL_MAX = 3


@pytest.fixture
def policy():
    return UpstreamPolicy.model_validate(
        {
            "retries": {"backoff_seconds": 0.001},
            "breaker_fail_max": BREAKER_FAIL_MAX,
            "breaker_reset_seconds": 0.5,
        }
    )


async def open_breaker(charge, simulator, order_id):
    await simulator.set_faults(outage=True)
    for _ in range(BREAKER_FAIL_MAX):
        with pytest.raises(UpstreamUnavailable, match="answered 503"):
            await charge(order_id)


async def charged_once_the_breaker_lets_it(charge, order_id):
    """What the consumer does: try again until the cool-down is over (the kit's own tests
    check its length on a clock they move)."""
    async with asyncio.timeout(10):
        while True:
            try:
                return await charge(order_id)
            except UpstreamUnavailable as refused:
                if refused.reason != "circuit open":
                    raise
            await asyncio.sleep(0.05)


async def breaker_gauge(client):
    metrics = (await client.get("/metrics")).text
    [line] = [
        line
        for line in metrics.splitlines()
        if line.startswith("upstream_breaker_state{") and 'state="open"' in line
    ]
    return float(line.rsplit(" ", 1)[1])


async def test_an_open_breaker_fails_fast_without_reaching_the_provider(
    charge, simulator, client, order_id, policy
):
    await open_breaker(charge, simulator, order_id)
    reached = simulator.charge_requests()
    assert reached == BREAKER_FAIL_MAX * policy.retries.attempts  # each POST was retried

    with pytest.raises(UpstreamUnavailable, match="circuit open") as refused:
        await charge(order_id)

    assert simulator.charge_requests() == reached
    assert refused.value.retry_after_seconds > 0
    assert await breaker_gauge(client) == 1
    assert (
        await client.get(
            "/payments", params={"order_id": str(order_id)}, headers=signed_in("payment", "alice")
        )
    ).json() == []


async def test_the_breaker_closes_by_itself_once_the_provider_is_back(
    charge, simulator, client, order_id
):
    await open_breaker(charge, simulator, order_id)
    with pytest.raises(UpstreamUnavailable, match="circuit open"):
        await charge(order_id)
    await simulator.set_faults()

    payment = await charged_once_the_breaker_lets_it(charge, order_id)

    assert payment.status is PaymentStatus.CHARGED
    assert await breaker_gauge(client) == 0
    assert len(await simulator.charges(order_id)) == 1


async def test_a_charge_command_is_retried_through_an_outage_and_charged_once(
    saga, retried, simulator, order_id
):
    await simulator.set_faults(outage=True)
    await saga.send(
        ChargePayment(order_id=order_id, amount=900, currency="EUR", payment_method="tok_visa")
    )
    await retried(ChargePayment)  # the provider answered 503: the consumer backs off

    await simulator.set_faults()  # the provider is back before the retries run out

    [charged] = await saga.replies(order_id)
    assert isinstance(charged, PaymentCharged)
    assert (charged.amount, charged.currency) == (900, "EUR")
    assert len(await simulator.charges(order_id)) == 1


async def test_an_outage_outlasting_the_retry_bound_is_waited_out_not_dead_lettered(
    app, saga, simulator, infra, bus_topics, order_id
):
    await simulator.set_faults(outage=True)
    await saga.send(
        ChargePayment(order_id=order_id, amount=700, currency="EUR", payment_method="tok_visa")
    )
    bound = ConsumerRetryPolicy().attempts  # where a bounded TransientError dead-letters
    await retries_counted(app, bus_topics.payment_commands, bound + 1)

    await simulator.set_faults()

    [charged] = await saga.replies(order_id)
    assert isinstance(charged, PaymentCharged)
    assert len(await simulator.charges(order_id)) == 1
    commands = bus_topics.payment_commands
    assert await read_dead_letters(infra.kafka_bootstrap_servers, commands) == []


async def retries_counted(app, topic: str, at_least: int) -> None:
    """Until the consumer has tried a ChargePayment again `at_least` times."""
    labels = {"topic": topic, "type": ChargePayment.TYPE}
    registry = app.state.metrics.registry
    async with asyncio.timeout(60):  # full-jitter backoff capped at 5 s a retry
        while (registry.get_sample_value("message_retries_total", labels) or 0) < at_least:  # noqa: ASYNC110 - no event to await
            await asyncio.sleep(0.1)


async def test_the_service_stays_ready_while_the_provider_is_down(simulator, client):
    await simulator.set_faults(outage=True)

    response = await client.get("/readyz")

    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "consumer", "outbox-relay", "kafka"}
