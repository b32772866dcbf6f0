import pytest

from shopflow_inventory.domain import MAX_LINE_QUANTITY, InvalidLinesError, StockLine, merged_lines

pytestmark = pytest.mark.unit


def test_lines_are_merged_per_sku_and_put_in_sku_order():
    lines = [StockLine("TEE-L", 1), StockLine("MUG-001", 2), StockLine("TEE-L", 3)]

    assert merged_lines(lines) == (StockLine("MUG-001", 2), StockLine("TEE-L", 4))


def test_the_same_products_in_any_order_give_the_same_lines():
    forwards = [StockLine("AAA", 1), StockLine("BBB", 1), StockLine("CCC", 1)]

    assert merged_lines(forwards) == merged_lines(reversed(forwards))


@pytest.mark.parametrize("quantity", [0, -1, MAX_LINE_QUANTITY + 1])
def test_a_quantity_out_of_bounds_is_no_line(quantity):
    with pytest.raises(InvalidLinesError, match="quantity"):
        StockLine("MUG-001", quantity)


@pytest.mark.parametrize("sku", ["", "ab", "mug-001", "MUG 001", "X" * 33])
def test_a_malformed_sku_is_no_line(sku):
    with pytest.raises(InvalidLinesError, match="is not a sku"):
        StockLine(sku, 1)


def test_a_reservation_needs_a_line():
    with pytest.raises(InvalidLinesError, match="at least one line"):
        merged_lines([])


def test_a_reservation_has_at_most_a_hundred_products():
    lines = [StockLine(f"SKU-{n:03}", 1) for n in range(101)]

    with pytest.raises(InvalidLinesError, match="at most 100"):
        merged_lines(lines)


def test_merged_lines_keep_the_quantity_bound():
    half = MAX_LINE_QUANTITY // 2 + 1

    with pytest.raises(InvalidLinesError, match="quantity"):
        merged_lines([StockLine("MUG-001", half), StockLine("MUG-001", half)])
