"""What each stock operation answers; `handlers` turns it into the event it publishes.

An operation asked again answers the same event as the first time, so a redelivered
command gets the same reply without a second effect.
"""

import uuid
from dataclasses import dataclass

from shopflow_inventory.domain import StockLine
from shopflow_inventory.models import RejectionReason, Reservation, ReservationStatus


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


ReservationOutcome = StockReserved | StockRejected


def reservation_outcome(reservation: Reservation) -> ReservationOutcome:
    """The answer recorded for an order's reservation, whatever happened to it since."""
    if reservation.status is ReservationStatus.REJECTED:
        assert reservation.reason is not None  # the schema's reason_iff_rejected check
        return StockRejected(
            reservation.order_id, reservation.reason, tuple(reservation.short_skus)
        )
    return StockReserved(reservation.order_id, held_lines(reservation))


def held_lines(reservation: Reservation) -> tuple[StockLine, ...]:
    return tuple(StockLine(line.sku, line.quantity) for line in reservation.lines)
