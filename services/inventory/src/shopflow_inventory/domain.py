"""The rules of stock that need no database: valid lines and their order, what each stock
operation answers, and what the domain refuses.

An operation asked again answers the same outcome as the first time, so a redelivered
command gets the same reply without a second effect; `handlers` turns each outcome into
the event it publishes. A refusal that HTTP answers is a `DomainError` naming its problem
(public contract: never rename a slug); the others only ever meet a message handler.
"""

import re
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from shopflow_inventory.models import (
    RejectionReason,
    Reservation,
    ReservationStatus,
)
from shopflow_kit import DomainError, ProblemType

SKU_PATTERN = r"^[A-Z0-9-]{3,32}$"
MAX_LINE_QUANTITY = 1_000  # units of one product in one order; more is a mistake, not an order
MAX_LINES = 100
MAX_STOCK = 1_000_000


@dataclass(frozen=True)
class StockLine:
    """So many units of one product, as an order asks for them."""

    sku: str
    quantity: int

    def __post_init__(self) -> None:
        if not re.fullmatch(SKU_PATTERN, self.sku):
            raise InvalidLinesError(f"{self.sku!r} is not a sku ({SKU_PATTERN})")
        if not 0 < self.quantity <= MAX_LINE_QUANTITY:
            raise InvalidLinesError(
                f"{self.sku}: quantity {self.quantity} not in 1..{MAX_LINE_QUANTITY}"
            )


def merged_lines(lines: Iterable[StockLine]) -> tuple[StockLine, ...]:
    """One line per sku, in sku order: the order rows are locked in, so that two
    reservations touching the same products cannot deadlock."""
    quantities: Counter[str] = Counter()
    for line in lines:
        quantities[line.sku] += line.quantity
    if not quantities:
        raise InvalidLinesError("a reservation needs at least one line")
    if len(quantities) > MAX_LINES:
        raise InvalidLinesError(f"{len(quantities)} products; at most {MAX_LINES} per reservation")
    return tuple(StockLine(sku, quantity) for sku, quantity in sorted(quantities.items()))


class InvalidLinesError(ValueError):
    """Lines no order can ask for: empty, a malformed sku, a quantity out of bounds."""


class ProductNotFoundError(DomainError):
    problem = ProblemType(404, "product-not-found", "Product not found")

    def __init__(self, sku: str) -> None:
        super().__init__(f"No product has sku {sku}.", sku=sku)


class ProductExistsError(DomainError):
    problem = ProblemType(409, "product-exists", "Product exists")

    def __init__(self, sku: str) -> None:
        super().__init__(f"A product with sku {sku} already exists.", sku=sku)


class ReservationNotFoundError(DomainError):
    problem = ProblemType(404, "reservation-not-found", "Reservation not found")

    def __init__(self, order_id: uuid.UUID) -> None:
        detail = f"No stock was ever asked for order {order_id}."
        super().__init__(detail, order_id=str(order_id))


class TransitionRefusedError(Exception):
    """A reservation cannot go where asked: a committed one released, a released one committed."""

    def __init__(
        self, order_id: uuid.UUID, status: ReservationStatus | None, wanted: ReservationStatus
    ) -> None:
        found = f"is {status}" if status else "does not exist"
        super().__init__(f"cannot make reservation {order_id} {wanted}: it {found}")
        self.order_id = order_id
        self.status = status
        self.wanted = wanted


@dataclass(frozen=True)
class StockReserved:
    order_id: uuid.UUID
    lines: tuple[StockLine, ...]


@dataclass(frozen=True)
class StockRejected:
    order_id: uuid.UUID
    reason: RejectionReason
    skus: tuple[str, ...]  # the lines that could not be met


@dataclass(frozen=True)
class StockReleased:
    order_id: uuid.UUID
    lines: tuple[StockLine, ...]  # back to available; none when nothing was held


@dataclass(frozen=True)
class StockCommitted:
    order_id: uuid.UUID
    lines: tuple[StockLine, ...]  # now sold


ReservationOutcome = StockReserved | StockRejected | StockReleased


def reservation_outcome(reservation: Reservation) -> ReservationOutcome:
    """The answer recorded for an order's reservation, whatever happened to it since; for
    a tombstone (released before it was reserved: no lines), that it is released."""
    if reservation.status is ReservationStatus.RELEASED and not reservation.lines:
        return StockReleased(reservation.order_id, ())
    if reservation.status is ReservationStatus.REJECTED:
        assert reservation.reason is not None  # the schema's reason_iff_rejected check
        return StockRejected(
            reservation.order_id, reservation.reason, tuple(reservation.short_skus)
        )
    return StockReserved(reservation.order_id, held_lines(reservation))


def held_lines(reservation: Reservation) -> tuple[StockLine, ...]:
    return tuple(StockLine(line.sku, line.quantity) for line in reservation.lines)
