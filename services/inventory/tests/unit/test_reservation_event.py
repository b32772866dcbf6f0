import uuid

import pytest

from shopflow_contracts import inventory as contract
from shopflow_inventory import domain
from shopflow_inventory.domain import StockLine
from shopflow_inventory.handlers import reservation_event
from shopflow_inventory.models import RejectionReason

pytestmark = pytest.mark.unit

ORDER = uuid.UUID("3f2a9c4e-0000-4000-8000-000000000001")


def test_stock_held_is_announced_as_reserved():
    held = domain.StockReserved(ORDER, (StockLine("MUG-001", 2),))

    assert reservation_event(held) == contract.StockReserved(order_id=ORDER)


@pytest.mark.parametrize("reason", list(RejectionReason))
def test_every_rejection_reason_is_one_the_contract_names(reason):
    rejected = domain.StockRejected(ORDER, reason, ("MUG-001", "TEE-L"))

    assert reservation_event(rejected) == contract.StockRejected(
        order_id=ORDER, reason=reason.value, skus=("MUG-001", "TEE-L")
    )


def test_a_reserve_after_the_release_is_announced_as_released():
    tombstone = domain.StockReleased(ORDER, ())

    assert reservation_event(tombstone) == contract.StockReleased(order_id=ORDER)
