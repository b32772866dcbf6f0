import uuid

import pytest

from shopflow_payment_provider.app import build
from shopflow_payment_provider.settings import PaymentProviderSettings
from shopflow_testing.callers import as_admin


@pytest.fixture(scope="module")
def settings(migrated_database):
    return PaymentProviderSettings(
        database_url=migrated_database("payment-provider"), environment="test"
    )


@pytest.fixture
def app(settings):
    return build(settings)


class Simulator:
    """The simulator's API, called the way its clients call it."""

    def __init__(self, client):
        self.client = client

    async def charge(self, key, source="tok_visa", amount=1999, order_id=None, **fields):
        metadata = {"order_id": order_id} if order_id else {}
        body = {"amount": amount, "currency": "EUR", "source": source, "metadata": metadata}
        return await self.client.post(
            "/v1/charges", json=body | fields, headers={"Idempotency-Key": key}
        )

    async def refund(self, key, charge_id, **fields):
        body = {"charge_id": charge_id, **fields}
        return await self.client.post("/v1/refunds", json=body, headers={"Idempotency-Key": key})

    async def charges(self, **params):
        response = await self.client.get("/v1/charges", params=params)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    async def set_faults(self, **faults):
        response = await self.client.put(
            "/admin/faults", json=faults, headers=as_admin("payment-provider")
        )
        assert response.status_code == 200, response.text


@pytest.fixture
def admin():
    """The Authorization header of an admin's call (the fault switches)."""
    return as_admin("payment-provider")


@pytest.fixture
def simulator(client):
    return Simulator(client)


@pytest.fixture
def key():
    """A new idempotency key."""
    return str(uuid.uuid4())
