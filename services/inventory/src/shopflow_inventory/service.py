"""Inventory's operations: the catalogue's (an admin adds a product, sets its stock) and
the stock held for orders (what the inventory commands trigger).

Each takes the caller's session and never commits, so a REST route or a message handler
commits it together with whatever else it records. Those on orders are idempotent per
order id.
"""

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_inventory import repository, reservation_repository
from shopflow_inventory.domain import (
    ProductExistsError,
    ProductNotFoundError,
    ReservationNotFoundError,
    ReservationOutcome,
    StockCommitted,
    StockLine,
    StockRejected,
    StockReleased,
    StockReserved,
    TransitionRefusedError,
    held_lines,
    merged_lines,
    reservation_outcome,
)
from shopflow_inventory.models import (
    AdjustmentKind,
    Product,
    RejectionReason,
    Reservation,
    ReservationStatus,
)
from shopflow_inventory.repository import ProductRow, StockPlace
from shopflow_inventory.schemas import ProductCreate


async def product(session: AsyncSession, sku: str) -> ProductRow:
    """The product with the units available now."""
    row = await repository.product(session, sku)
    if row is None:
        raise ProductNotFoundError(sku)
    return row


async def create_product(session: AsyncSession, new: ProductCreate) -> None:
    """Add a product with its first stock, on the ledger."""
    created = Product(sku=new.sku, name=new.name, price=new.price, currency=new.currency)
    if not await repository.add_product(session, created, available=new.stock):
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


async def reservation(session: AsyncSession, order_id: uuid.UUID) -> Reservation:
    """The order's reservation, whatever became of it."""
    found = await reservation_repository.reservation(session, order_id)
    if found is None:
        raise ReservationNotFoundError(order_id)
    return found


async def reserve_stock(
    session: AsyncSession, order_id: uuid.UUID, lines: Iterable[StockLine]
) -> ReservationOutcome:
    """Hold every line for the order, or none and say why. Asked again for the same order,
    it answers what it answered the first time, whatever the stock is now."""
    wanted = merged_lines(lines)
    if not await reservation_repository.claim(session, order_id, wanted):
        recorded = await reservation_repository.reservation(session, order_id)
        assert recorded is not None  # claimed by a committed transaction; nothing deletes it
        return reservation_outcome(recorded)  # a tombstone's: released, nothing held
    if short := await _take_all_or_nothing(session, wanted):
        # An unknown sku has no units either: which of them exist is asked only now.
        known = await repository.existing_skus(session, short)
        if unknown := sorted(set(short) - known):
            return await _reject(session, order_id, RejectionReason.UNKNOWN_SKU, unknown)
        return await _reject(session, order_id, RejectionReason.OUT_OF_STOCK, short)
    return StockReserved(order_id, wanted)


async def release_stock(session: AsyncSession, order_id: uuid.UUID) -> StockReleased:
    """Give a reserved order's units back. Safe to repeat; refused once the stock is
    committed (sold). For an order never reserved it leaves a tombstone (RELEASED, no
    lines), so a ReserveStock arriving after it (a dead letter replayed once the saga
    gave up) holds nothing: the order is final, and units held for it would never return."""
    released = ReservationStatus.RELEASED
    moved, reservation = await _transition(session, order_id, released)
    if reservation is None and await reservation_repository.tombstone(session, order_id):
        return StockReleased(order_id, ())
    if reservation is None:  # a reserve for it committed meanwhile: release that
        moved, reservation = await _transition(session, order_id, released)
    assert reservation is not None
    if reservation.status is ReservationStatus.REJECTED:
        return StockReleased(order_id, ())
    if reservation.status is ReservationStatus.COMMITTED:
        raise TransitionRefusedError(order_id, reservation.status, released)
    lines = held_lines(reservation)
    if moved:
        await _move_all(session, lines, "reserved", "available")
    return StockReleased(order_id, lines)


async def commit_stock(session: AsyncSession, order_id: uuid.UUID) -> StockCommitted:
    """Turn a reserved order's units into sold ones. Safe to repeat; refused for an order
    whose stock was released, rejected or never reserved."""
    committed = ReservationStatus.COMMITTED
    moved, reservation = await _transition(session, order_id, committed)
    if reservation is None or reservation.status is not committed:
        status = None if reservation is None else reservation.status
        raise TransitionRefusedError(order_id, status, committed)
    lines = held_lines(reservation)
    if moved:
        await _move_all(session, lines, "reserved", "sold")
    return StockCommitted(order_id, lines)


async def _take_all_or_nothing(session: AsyncSession, lines: Sequence[StockLine]) -> list[str]:
    """Reserve every line, in sku order; if any is short (or unknown), undo all and return
    the short skus."""
    if len(lines) == 1:  # a line it could not take took nothing: no savepoint to undo it
        [line] = lines
        taken = await repository.move_units(session, line, "available", "reserved")
        return [] if taken else [line.sku]
    savepoint = await session.begin_nested()
    short = []
    for line in lines:
        if not await repository.move_units(session, line, "available", "reserved"):
            short.append(line.sku)
    if short:
        await savepoint.rollback()
    else:
        await savepoint.commit()
    return short


async def _reject(
    session: AsyncSession, order_id: uuid.UUID, reason: RejectionReason, skus: list[str]
) -> StockRejected:
    await reservation_repository.reject(session, order_id, reason, skus)
    return StockRejected(order_id, reason, tuple(skus))


async def _transition(
    session: AsyncSession, order_id: uuid.UUID, target: ReservationStatus
) -> tuple[bool, Reservation | None]:
    """Move the reservation to `target` if it is RESERVED; whether it moved, and how it now is."""
    moved = await reservation_repository.move(session, order_id, ReservationStatus.RESERVED, target)
    return moved, await reservation_repository.reservation(session, order_id)


async def _move_all(
    session: AsyncSession, lines: Sequence[StockLine], source: StockPlace, target: StockPlace
) -> None:
    for line in lines:
        if not await repository.move_units(session, line, source, target):
            raise RuntimeError(f"{line.sku} has fewer than {line.quantity} units {source}")
