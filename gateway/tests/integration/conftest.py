"""The gateway over real HTTP in front of the real services, each on a migrated database.

Services run in this process under uvicorn on fixed loopback ports, so that a test can
stop one ("kill" it) and start it again where the gateway expects it; they start once
per module, and the tests of a module keep apart by ids of their own (`customer`). Redis is the
stack's real one (an emptied test database). `gateway_for(...)` serves a gateway with
settings a test may override; `gateway` is one with the defaults below.
"""

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack

import httpx
import pytest
from fastapi import FastAPI

from shopflow_gateway.app import build
from shopflow_gateway.settings import GatewaySettings, RateLimit
from shopflow_gateway.users import CUSTOMER_ROLE
from shopflow_inventory.seed import seed
from shopflow_inventory.settings import InventorySettings
from shopflow_kit import Caller
from shopflow_kit.identity import ADMIN_ROLE
from shopflow_kit.upstream import UpstreamPolicy
from shopflow_testing.kafka import topics_of_our_own
from shopflow_testing.servers import running_server

from .live import ServiceLoop, Services

TEST_SECRET = "gateway-integration-tests-secret-0123456789"
# Quick retries; a breaker that opens after 3 failures and tries again after a second.
TEST_POLICY = UpstreamPolicy.model_validate(
    {
        "timeout_seconds": 2,
        "retries": {"backoff_seconds": 0.001, "max_backoff_seconds": 0.01},
        "breaker_fail_max": 3,
        "breaker_reset_seconds": 1,
    }
)
ROOMY = RateLimit(burst=10_000, per_second=10_000)


@pytest.fixture(scope="module")
def databases(migrated_database):
    """One migrated database per service for the module; inventory has the demo products."""
    urls = {
        name: migrated_database(name) for name in ("inventory", "order", "payment", "notification")
    }
    # Seeding reads the database URL alone: no need for the rest of the service's settings.
    settings = InventorySettings.model_construct(database_url=urls["inventory"])
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(asyncio.run, seed(settings)).result()
    return urls


@pytest.fixture(scope="module")
def module_services(infra, databases, request):
    """The services, started once for the module (a start per test cost a second each), on
    topics of the module's own that exist (a relay that cannot publish makes the order
    service refuse new orders)."""
    loop = ServiceLoop()
    started = AsyncExitStack()

    async def start() -> Services:
        topics = await started.enter_async_context(topics_of_our_own(infra, request))
        bus = {
            "kafka_bootstrap_servers": infra.kafka_bootstrap_servers,
            "topic_prefix": topics.prefix,
        }
        services = Services(loop, databases, bus)
        started.push_async_callback(services.stop)
        await services.start()
        return services

    try:
        yield loop.run(start())
    finally:
        loop.run(started.aclose())
        loop.close()


@pytest.fixture
async def services(module_services):
    """The module's services. A test that took one away leaves them all restarted, as a
    test that starts them would find them: no breaker or pool of one outlives an outage it saw."""
    stopped = module_services.stopped()
    yield module_services
    if module_services.stopped() != stopped:
        await module_services.stop()
        await module_services.start()


class LiveGateway:
    def __init__(self, app: FastAPI, url: str) -> None:
        self.app = app
        self.client = httpx.AsyncClient(base_url=url, timeout=10)

    def token(self, customer_id: str, *roles: str) -> dict[str, str]:
        """The Authorization header of a valid token for the customer."""
        caller = Caller(customer_id, frozenset(roles or (CUSTOMER_ROLE,)))
        issued = self.app.state.gateway.tokens.issue(caller)
        return {"Authorization": f"Bearer {issued.access_token}"}

    def admin(self) -> dict[str, str]:
        return self.token("ada", CUSTOMER_ROLE, ADMIN_ROLE)

    def metric(self, name: str, **labels: str) -> float:
        return self.app.state.metrics.registry.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def gateway_for(services, redis_url):
    """A factory: `await gateway_for(rate_limit=...)` serves a gateway with those settings."""
    async with AsyncExitStack() as stack:

        async def serve(**overrides) -> LiveGateway:
            defaults = {
                "order_url": services.order.url,
                "inventory_url": services.inventory.url,
                "payment_url": services.payment.url,
                "notification_url": services.notification.url,
                "redis_url": redis_url,
                "jwt_secret": TEST_SECRET,
                "upstream_policy": TEST_POLICY,
                "rate_limit": ROOMY,
                # Production's 0.25 s fails open at once; on a test machine at full load a
                # healthy Redis can take longer, and the buckets would silently go unlimited.
                "redis_timeout_seconds": 5.0,
                "environment": "test",
            }
            settings = GatewaySettings(**(defaults | overrides))
            app = build(settings)
            live = LiveGateway(app, await stack.enter_async_context(running_server(app)))
            stack.push_async_callback(live.client.aclose)
            return live

        yield serve


@pytest.fixture
async def gateway(gateway_for):
    return await gateway_for()


@pytest.fixture
def customer():
    """A customer of this test only: the module's tests share the databases."""
    return f"customer-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def place_order(gateway):
    """`await place_order(headers)`: the gateway's answer to placing a one-mug order."""

    async def place(headers, key=None):
        body = {"items": [{"sku": "MUG-001", "quantity": 1}], "payment_method": "tok_visa"}
        headers = {**headers, "Idempotency-Key": key or uuid.uuid4().hex}
        return await gateway.client.post("/api/v1/orders", json=body, headers=headers)

    return place
