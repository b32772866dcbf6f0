"""Queries on products, stock levels and the ledger (reservations have their own module)."""

from collections.abc import Sequence
from typing import Literal

from sqlalchemy import Row, Select, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_inventory.domain import StockLine
from shopflow_inventory.models import AdjustmentKind, Product, StockAdjustment, StockLevel

ProductRow = Row[str, str, int, str, int]  # sku, name, price, currency, available
AuditRow = Row[str, int, int, int, int]  # sku, stocked, available, reserved, sold
StockPlace = Literal["available", "reserved", "sold"]


async def add_product(session: AsyncSession, product: Product, available: int) -> bool:
    """Insert the product and its stock level; False, inserting nothing, if its sku is taken."""
    inserted = await session.execute(
        insert(Product)
        .values(sku=product.sku, name=product.name, price=product.price, currency=product.currency)
        .on_conflict_do_nothing(index_elements=[Product.sku])
        .returning(Product.sku)
    )
    if inserted.first() is None:
        return False
    session.add(StockLevel(sku=product.sku, available=available))
    await session.flush()
    return True


async def products(
    session: AsyncSession, *, limit: int, after: str | None = None, skus: Sequence[str] = ()
) -> Sequence[ProductRow]:
    """Up to `limit` products in sku order, after the sku `after`, among `skus` if any."""
    statement = _with_available().order_by(Product.sku).limit(limit)
    if after is not None:
        statement = statement.where(Product.sku > after)
    if skus:
        statement = statement.where(Product.sku.in_(skus))
    return (await session.execute(statement)).all()


async def product(session: AsyncSession, sku: str) -> ProductRow | None:
    return (await session.execute(_with_available().where(Product.sku == sku))).first()


async def existing_skus(session: AsyncSession, skus: Sequence[str]) -> set[str]:
    statement = select(Product.sku).where(Product.sku.in_(skus))
    return set((await session.execute(statement)).scalars())


async def locked_stock(session: AsyncSession, sku: str) -> StockLevel | None:
    """The product's stock level, locked until the transaction ends."""
    statement = select(StockLevel).where(StockLevel.sku == sku).with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def move_units(
    session: AsyncSession, line: StockLine, source: StockPlace, target: StockPlace
) -> bool:
    """Move the line's units from one place to another; False, moving none, if fewer are there.

    One conditional UPDATE: under concurrency the row lock makes the check and the move
    one step, so two orders can never both take the last unit.
    """
    source_units = getattr(StockLevel, source)
    statement = (
        update(StockLevel)
        .where(StockLevel.sku == line.sku, source_units >= line.quantity)
        .values(
            {
                source: source_units - line.quantity,
                target: getattr(StockLevel, target) + line.quantity,
            }
        )
        .returning(StockLevel.sku)
    )
    return (await session.execute(statement)).first() is not None


async def record_adjustment(
    session: AsyncSession, sku: str, kind: AdjustmentKind, delta: int
) -> None:
    session.add(StockAdjustment(sku=sku, kind=kind, delta=delta))
    await session.flush()


async def stock_audit(session: AsyncSession) -> Sequence[AuditRow]:
    """Per product, in sku order: units ever stocked (the ledger's sum) and where they are."""
    stocked = (
        select(StockAdjustment.sku, func.sum(StockAdjustment.delta).label("stocked"))
        .group_by(StockAdjustment.sku)
        .subquery()
    )
    statement: Select[str, int, int, int, int] = (
        select(
            StockLevel.sku,
            func.coalesce(stocked.c.stocked, 0).label("stocked"),
            StockLevel.available,
            StockLevel.reserved,
            StockLevel.sold,
        )
        .outerjoin(stocked, stocked.c.sku == StockLevel.sku)
        .order_by(StockLevel.sku)
    )
    return (await session.execute(statement)).all()


def _with_available() -> Select[str, str, int, str, int]:
    return select(
        Product.sku, Product.name, Product.price, Product.currency, StockLevel.available
    ).join(StockLevel, StockLevel.sku == Product.sku)
