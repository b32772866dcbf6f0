"""Every service, its PostgreSQL and Kafka unreachable: each route that needs the database
answers 503 `dependency-unavailable` with Retry-After (never a 500), and `/readyz` says
which dependency is away."""

import uuid

import pytest

from shopflow_inventory.app import build as inventory
from shopflow_inventory.settings import InventorySettings
from shopflow_kit import PROBLEM_BASE
from shopflow_notification.app import build as notification
from shopflow_notification.settings import NotificationSettings
from shopflow_order.app import build as order
from shopflow_order.settings import OrderSettings
from shopflow_payment.app import build as payment
from shopflow_payment.settings import PaymentSettings
from shopflow_payment_provider.app import build as provider
from shopflow_payment_provider.settings import PaymentProviderSettings
from shopflow_testing.callers import as_admin
from shopflow_testing.ports import unused_port
from shopflow_testing.servers import app_client

pytestmark = pytest.mark.integration


NOWHERE = f"127.0.0.1:{unused_port()}"
DATABASE = f"postgresql+asyncpg://nobody:nobody@{NOWHERE}/nothing"
BUS = {"kafka_bootstrap_servers": NOWHERE, "environment": "test"}
ORDER_ID = uuid.uuid4()

SERVICES = {
    "order": (
        lambda: order(OrderSettings(database_url=DATABASE, inventory_url="http://x", **BUS)),
        "/orders",
    ),
    "inventory": (
        lambda: inventory(InventorySettings(database_url=DATABASE, **BUS)),
        "/products",
    ),
    "payment": (
        lambda: payment(PaymentSettings(database_url=DATABASE, provider_url="http://x", **BUS)),
        f"/payments?order_id={ORDER_ID}",
    ),
    "notification": (
        lambda: notification(NotificationSettings(database_url=DATABASE, **BUS)),
        f"/notifications?order_id={ORDER_ID}",
    ),
    "payment-provider": (
        lambda: provider(PaymentProviderSettings(database_url=DATABASE, environment="test")),
        "/v1/charges",
    ),
}


@pytest.mark.parametrize("name", SERVICES)
async def test_a_database_away_is_a_503_to_retry_and_readiness_names_it(name):
    build, path = SERVICES[name]
    async with app_client(build()) as client:
        answer = await client.get(path, headers=as_admin(name))
        ready = await client.get("/readyz")

    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == PROBLEM_BASE + "dependency-unavailable"
    assert answer.json()["dependency"] == "database"
    assert int(answer.headers["retry-after"]) >= 1
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] != "ok"
