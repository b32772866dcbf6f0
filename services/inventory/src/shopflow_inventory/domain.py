"""The rules of stock that need no database: valid lines, their order, and domain errors."""

import re
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from shopflow_inventory.models import ReservationStatus

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


class ProductNotFoundError(LookupError):
    def __init__(self, sku: str) -> None:
        super().__init__(f"no product has sku {sku}")
        self.sku = sku


class ProductExistsError(Exception):
    def __init__(self, sku: str) -> None:
        super().__init__(f"a product with sku {sku} already exists")
        self.sku = sku


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
