import uuid

import pytest

from shopflow_inventory.app import build
from shopflow_inventory.models import StockLevel
from shopflow_inventory.schemas import ProductCreate
from shopflow_inventory.service import create_product
from shopflow_inventory.settings import InventorySettings
from shopflow_kit import Database
from shopflow_testing.callers import as_admin


@pytest.fixture(scope="module")
def database_url(migrated_database):
    return migrated_database("inventory")


@pytest.fixture
def settings(database_url, on_test_bus):
    """On topics of the test's own, so that its consumer never takes the stack's commands."""
    return InventorySettings(
        database_url=database_url,
        **on_test_bus,
    )


@pytest.fixture
def app(settings):
    return build(settings)


@pytest.fixture
def admin():
    """The service token the gateway signs for an admin's call."""
    return as_admin("inventory")


@pytest.fixture
async def database(database_url):
    # Room for every transaction of the concurrency tests to be open at once.
    database = Database(database_url, pool_size=60)
    yield database
    await database.dispose()


@pytest.fixture
def new_product(database):
    """A factory: `await new_product(stock=3)` adds a product no other test uses; its sku."""

    async def create(stock=0, price=1000):
        sku = f"T-{uuid.uuid4().hex[:12].upper()}"
        product = ProductCreate(
            sku=sku, name=f"Test {sku}", price=price, currency="EUR", stock=stock
        )
        async with database.transaction() as session:
            await create_product(session, product)
        return sku

    return create


@pytest.fixture
def run(database):
    """`await run(operation, *args)`: a domain operation in a transaction of its own, the
    way a message handler will call it."""

    async def in_transaction(operation, *args):
        async with database.transaction() as session:
            return await operation(session, *args)

    return in_transaction


@pytest.fixture
def stock_of(database):
    """`await stock_of(sku)`: the product's (available, reserved, sold) units."""

    async def read(sku):
        async with database.transaction() as session:
            level = await session.get(StockLevel, sku)
            return level.available, level.reserved, level.sold

    return read
