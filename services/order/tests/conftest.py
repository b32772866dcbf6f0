import asyncio
import functools
import uuid
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Query, Response

from shopflow_kit.upstream import UpstreamPolicy
from shopflow_order.app import build
from shopflow_order.settings import OrderSettings
from shopflow_testing.callers import signed_in
from shopflow_testing.servers import running_server

# Quick retries, and a breaker that stays open for the rest of any test once tripped.
TEST_POLICY = UpstreamPolicy.model_validate(
    {"retries": {"backoff_seconds": 0.01}, "breaker_fail_max": 3, "breaker_reset_seconds": 60}
)


class InventoryStandIn:
    """Inventory's `GET /products?sku=...` over real HTTP: the test sets what it lists and
    whether it fails, reads which lookups reached it, and may hold their answers back
    (`answering.clear()`, then `await holding(n)`) to play a slow inventory."""

    def __init__(self) -> None:
        self.products: dict[str, dict[str, Any]] = {}
        self.lookups: list[list[str]] = []
        self.failing: int | None = None  # the status it answers with instead, if any
        self.answering = asyncio.Event()
        self.answering.set()
        self.held = 0
        self._arrived = asyncio.Condition()
        self.app = FastAPI()
        self.app.get("/products", response_model=None)(self._list_products)
        self.url = ""

    def stock(self, sku: str, price: int, currency: str = "EUR", name: str = "") -> None:
        self.products[sku] = {
            "sku": sku,
            "name": name or f"Product {sku}",
            "price": price,
            "currency": currency,
            "available": 10,
        }

    async def _list_products(
        self, sku: Annotated[list[str] | None, Query()] = None
    ) -> list[dict[str, Any]] | Response:
        self.lookups.append(sku or [])
        self.held += 1
        async with self._arrived:
            self._arrived.notify_all()
        try:
            await self.answering.wait()
        finally:
            self.held -= 1
        if self.failing:
            return Response(status_code=self.failing)
        return [self.products[s] for s in sku or [] if s in self.products]

    async def holding(self, count: int) -> None:
        """Returns once `count` lookups are held back, waiting for `answering`."""
        async with self._arrived:
            await self._arrived.wait_for(lambda: self.held >= count)


@pytest.fixture(scope="module")
def database_url(migrated_database):
    return migrated_database("order")


@pytest.fixture
async def inventory():
    stand_in = InventoryStandIn()
    async with running_server(stand_in.app) as url:
        stand_in.url = url
        yield stand_in


@pytest.fixture
def settings(database_url, inventory, on_test_bus):
    return OrderSettings(
        database_url=database_url,
        inventory_url=inventory.url,
        inventory_policy=TEST_POLICY,
        # Long enough that no saga sends a command again unless a test asks for it.
        saga_step_deadline_seconds=300,
        **on_test_bus,
    )


@pytest.fixture
def app(settings):
    return build(settings)


@pytest.fixture
def customer():
    """A customer of this test only: the module's tests share one database."""
    return f"customer-{uuid.uuid4()}"


@pytest.fixture
def place_on(customer):
    """Places an order through an app's client: `await place_on(client, {"MUG-1": 2})` (sku
    to quantity) as the test's customer unless `customer_id` says otherwise, with a fresh
    key unless `key` is given."""

    async def place(client, quantities, *, customer_id=None, key=None):
        body = {
            "items": [{"sku": sku, "quantity": n} for sku, n in quantities.items()],
            "payment_method": "tok_visa",
        }
        headers = signed_in("order", customer_id or customer) | {
            "Idempotency-Key": key or str(uuid.uuid4())
        }
        return await client.post("/orders", json=body, headers=headers)

    return place


@pytest.fixture
def place(client, place_on):
    """`place_on` the test's app: `await place({"MUG-1": 2})`."""
    return functools.partial(place_on, client)
