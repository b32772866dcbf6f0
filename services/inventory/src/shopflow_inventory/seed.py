"""The demo catalogue: `python -m shopflow_inventory seed` adds what is missing of it.

Products that exist are left as they are, stock included, so seeding a running shop
again changes nothing. LAST-ONE (1 unit) and SOLD-OUT (none) make out-of-stock demos.
"""

import contextlib
import logging

from shopflow_inventory.domain import ProductExistsError
from shopflow_inventory.schemas import ProductCreate
from shopflow_inventory.service import create_product
from shopflow_inventory.settings import InventorySettings
from shopflow_kit import Database

logger = logging.getLogger(__name__)

DEMO_PRODUCTS = [
    ProductCreate(sku=sku, name=name, price=price, currency="EUR", stock=stock)
    for sku, name, price, stock in [
        ("BAG-TOTE", "Canvas tote bag", 1499, 40),
        ("BOOK-DDIA", "Designing Data-Intensive Applications", 4599, 25),
        ("CAP-LOGO", "Baseball cap with the ShopFlow logo", 1999, 30),
        ("HOODIE-M", "Hoodie, size M", 4999, 20),
        ("KB-MECH", "Mechanical keyboard", 12900, 10),
        ("LAST-ONE", "Signed first edition (only one left)", 9900, 1),
        ("MUG-001", "Coffee mug", 1299, 50),
        ("NOTE-A5", "A5 dotted notebook", 899, 60),
        ("SOLD-OUT", "Limited sneakers (sold out)", 15900, 0),
        ("STICKER-5", "Sticker pack of five", 499, 200),
        ("TEE-L", "T-shirt, size L", 2499, 35),
        ("USB-C-1M", "USB-C cable, 1 m", 999, 80),
    ]
]


async def seed(settings: InventorySettings) -> None:
    database = Database(settings.database_url)
    added = 0
    try:
        async with database.transaction() as session:
            for product in DEMO_PRODUCTS:
                with contextlib.suppress(ProductExistsError):
                    await create_product(session, product)
                    added += 1
    finally:
        await database.dispose()
    logger.info("seeded %d of %d demo products", added, len(DEMO_PRODUCTS))
