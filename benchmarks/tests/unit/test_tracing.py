"""The tracing section's verdict: each round's untraced CPU over the mode's, then the median."""

import pytest

from shopflow_benchmarks.tracing import capacity, median_figures

pytestmark = pytest.mark.unit


def _round(off: float, default: float) -> dict[str, dict[str, float]]:
    return {"off": {"cpu_ms": off}, "default": {"cpu_ms": default}}


# A machine whose speed moves between rounds: both modes slow down together.
ROUNDS = [_round(5.0, 5.5), _round(4.0, 4.2), _round(6.0, 7.0)]


def test_capacity_pairs_each_round_with_itself_and_keeps_the_median():
    found = capacity(ROUNDS, "cpu_ms")

    assert found["off"] == 1.0
    assert found["default"] == pytest.approx(5.0 / 5.5)  # of 0.952, 0.909, 0.857


def test_the_spread_is_the_lowest_and_highest_round():
    spread = capacity(ROUNDS, "cpu_ms", spread=True)

    assert spread["default"] == pytest.approx([6.0 / 7.0, 4.0 / 4.2])
    assert spread["off"] == [1.0, 1.0]


def test_each_figure_of_a_mode_is_the_median_of_the_rounds():
    assert median_figures(ROUNDS, "default") == {"cpu_ms": 5.5}
