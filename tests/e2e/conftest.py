"""The whole shop, as `make up` runs it, driven through the gateway's public API."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from shopflow_stack.shop_client import token_for
from shopflow_stack.stack import Stack


@pytest.fixture(scope="session")
def shop(local_stack: Stack) -> Stack:
    """Every process of the stack, started if not running (and stopped after the run)."""
    asyncio.run(local_stack.up())
    return local_stack


@pytest.fixture
async def gateway(shop: Stack) -> AsyncIterator[httpx.AsyncClient]:
    base_url = f"http://127.0.0.1:{shop.get('gateway').port}"
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        yield client


@pytest.fixture
async def alice(gateway: httpx.AsyncClient) -> dict[str, str]:
    return await token_for(gateway, "alice")


@pytest.fixture
async def admin(gateway: httpx.AsyncClient) -> dict[str, str]:
    return await token_for(gateway, "admin")


@pytest.fixture
async def new_product(gateway: httpx.AsyncClient, admin: dict[str, str]):
    """A factory: `await new_product(stock=3, price=1000)` creates a product of this test's own."""

    async def create(stock: int, price: int = 1000) -> str:
        sku = f"E2E-{uuid.uuid4().hex[:10].upper()}"
        body = {"sku": sku, "name": f"e2e {sku}", "price": price, "currency": "EUR", "stock": stock}
        response = await gateway.post("/api/v1/admin/products", json=body, headers=admin)
        assert response.status_code == 201, response.text
        return sku

    return create
