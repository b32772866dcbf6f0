"""The catalogue's admin operations: adding a product and setting its stock, on the ledger."""

from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_inventory import repository
from shopflow_inventory.domain import ProductExistsError, ProductNotFoundError
from shopflow_inventory.models import AdjustmentKind, Product
from shopflow_inventory.schemas import ProductCreate


async def create_product(session: AsyncSession, new: ProductCreate) -> None:
    product = Product(sku=new.sku, name=new.name, price=new.price, currency=new.currency)
    if not await repository.add_product(session, product, available=new.stock):
        raise ProductExistsError(new.sku)
    if new.stock:
        await repository.record_adjustment(
            session, new.sku, AdjustmentKind.INITIAL_STOCK, new.stock
        )


async def set_stock(session: AsyncSession, sku: str, available: int) -> None:
    """Make `available` units available; reserved and sold units stay as they are."""
    stock = await repository.locked_stock(session, sku)
    if stock is None:
        raise ProductNotFoundError(sku)
    if delta := available - stock.available:
        stock.available = available
        await repository.record_adjustment(session, sku, AdjustmentKind.STOCK_SET, delta)
