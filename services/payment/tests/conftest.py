"""The payment service on its own database and Kafka topics, calling the real provider
simulator over HTTP."""

import uuid

import httpx
import pytest

from shopflow_kit.upstream import UpstreamPolicy
from shopflow_payment.app import build
from shopflow_payment.service import charge_payment, refund_payment
from shopflow_payment.settings import PaymentSettings
from shopflow_payment_provider.app import build as build_simulator
from shopflow_payment_provider.settings import PaymentProviderSettings
from shopflow_testing.callers import as_admin
from shopflow_testing.servers import running_server

# Quick retries, and a breaker that stays open for the rest of any test once tripped.
TEST_POLICY = UpstreamPolicy.model_validate(
    {"retries": {"backoff_seconds": 0.01}, "breaker_fail_max": 3, "breaker_reset_seconds": 60}
)


class Simulator:
    """The provider simulator over real HTTP: the test switches its faults, reads its ledger
    and counts the requests that reached it."""

    def __init__(self, settings):
        self.app = build_simulator(settings)
        self.url = ""

    async def set_faults(self, **faults):
        async with httpx.AsyncClient(base_url=self.url) as client:
            answer = await client.put(
                "/admin/faults", json=faults, headers=as_admin("payment-provider")
            )
            answer.raise_for_status()

    async def charges(self, order_id):
        """The ledger's charges for the order (a /v1 call: faults apply)."""
        async with httpx.AsyncClient(base_url=self.url) as client:
            response = await client.get("/v1/charges", params={"order_id": str(order_id)})
        response.raise_for_status()
        return response.json()["data"]

    def charge_requests(self):
        """How many charge requests reached the simulator, whatever it answered."""
        return self._requests("POST", "/v1/charges")

    def refund_requests(self):
        return self._requests("POST", "/v1/refunds")

    def _requests(self, method, route):
        samples = self.app.state.metrics.requests.collect()[0].samples
        return sum(
            sample.value
            for sample in samples
            if sample.name == "http_requests_total"
            and (sample.labels["method"], sample.labels["route"]) == (method, route)
        )


@pytest.fixture(scope="module")
def simulator_settings(migrated_database):
    return PaymentProviderSettings(
        database_url=migrated_database("payment-provider"),
        environment="test",
    )


@pytest.fixture
async def simulator(simulator_settings):
    simulator = Simulator(simulator_settings)
    async with running_server(simulator.app) as url:
        simulator.url = url
        yield simulator


@pytest.fixture(scope="module")
def database_url(migrated_database):
    return migrated_database("payment")


@pytest.fixture
def policy():
    """How the service calls the provider; a test may override it."""
    return TEST_POLICY


@pytest.fixture
def settings(database_url, simulator, policy, on_test_bus):
    """On topics of the test's own, so that its consumer never takes the stack's commands."""
    return PaymentSettings(
        database_url=database_url,
        provider_url=simulator.url,
        provider_policy=policy,
        **on_test_bus,
    )


@pytest.fixture
def app(settings):
    return build(settings)


@pytest.fixture
def order_id():
    return uuid.uuid4()


@pytest.fixture
def provider(app, client):
    """The app's provider client (open while `client` runs the app), as handlers use it."""
    return app.state.provider


@pytest.fixture
def charge(database, provider):
    """`await charge(order_id, "tok_visa")`: a ChargePayment handled in its own transaction."""

    async def charge(order_id, payment_method="tok_visa", amount=4599):
        async with database.transaction() as session:
            return await charge_payment(
                session,
                provider,
                order_id=order_id,
                amount=amount,
                currency="EUR",
                payment_method=payment_method,
            )

    return charge


@pytest.fixture
def refund(database, provider):
    """`await refund(order_id)`: a RefundPayment handled in its own transaction."""

    async def refund(order_id):
        async with database.transaction() as session:
            return await refund_payment(session, provider, order_id)

    return refund
