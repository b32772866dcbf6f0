import uuid

import pytest

from shopflow_inventory.domain import StockLine, StockRejected, StockReserved, reservation_outcome
from shopflow_inventory.models import (
    RejectionReason,
    Reservation,
    ReservationLine,
    ReservationStatus,
)
from shopflow_inventory.schemas import StockAuditRead

pytestmark = pytest.mark.unit

ORDER = uuid.UUID("3f2a9c4e-0000-4000-8000-000000000001")


def reservation(status, reason=None, short_skus=()):
    lines = [ReservationLine(order_id=ORDER, sku="MUG-001", quantity=2)]
    return Reservation(
        order_id=ORDER, status=status, reason=reason, short_skus=list(short_skus), lines=lines
    )


@pytest.mark.parametrize(
    "status",
    [ReservationStatus.RESERVED, ReservationStatus.RELEASED, ReservationStatus.COMMITTED],
)
def test_a_reservation_that_held_stock_answers_reserved_whatever_came_after(status):
    assert reservation_outcome(reservation(status)) == StockReserved(
        ORDER, (StockLine("MUG-001", 2),)
    )


def test_a_rejected_reservation_answers_why_and_which_lines():
    rejected = reservation(ReservationStatus.REJECTED, RejectionReason.OUT_OF_STOCK, ["MUG-001"])

    assert reservation_outcome(rejected) == StockRejected(
        ORDER, RejectionReason.OUT_OF_STOCK, ("MUG-001",)
    )


@pytest.mark.parametrize(("stocked", "consistent"), [(10, True), (11, False), (9, False)])
def test_stock_is_consistent_when_every_unit_stocked_is_somewhere(stocked, consistent):
    audit = StockAuditRead(sku="MUG-001", stocked=stocked, available=5, reserved=3, sold=2)

    assert audit.consistent is consistent
