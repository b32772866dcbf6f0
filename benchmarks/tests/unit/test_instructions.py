"""Instruction counts: the default worked out from the counted modes, and its table."""

import pytest

from shopflow_benchmarks.instructions import summary
from shopflow_benchmarks.report import markdown

pytestmark = pytest.mark.unit

COUNTED = {
    "gateway": {"off": 4.0, "unsampled": 4.2, "full, no export": 5.0, "full": 6.2},
    "inventory": {"off": 3.0, "unsampled": 3.1, "full, no export": 4.0, "full": 4.1},
}


def test_the_default_is_the_unsampled_nine_and_the_sampled_tenth_of_each_process():
    figures = summary(COUNTED, 0.1)

    per_read = figures["million_instructions_per_read"]
    assert per_read["gateway"]["default"] == pytest.approx(4.2 + 0.1 * 2.0)
    assert per_read["inventory"]["default"] == pytest.approx(3.1 + 0.1 * 1.0)
    assert per_read["gateway + inventory"]["off"] == pytest.approx(7.0)
    assert figures["capacity_vs_off"]["default"] == pytest.approx(7.0 / 7.6)
    assert figures["capacity_vs_off"]["off"] == 1.0


def test_the_report_shows_every_mode_of_every_process_and_the_capacity():
    run = {
        "date": "2026-12-01 13:00 UTC",
        "commit": "abc",
        "duration_seconds": 600.0,
        "machine_line": "2 cores",
        "tracing_instructions": {"sku": "MUG", "reads": 400, **summary(COUNTED, 0.1)},
    }

    text = markdown(run)

    assert (
        "| M instructions per read | off | unsampled | full, no export | full | default |" in text
    )
    assert "| gateway + inventory | 7.000 | 7.300 | 9.000 | 10.300 | 7.600 |" in text
    assert "| capacity vs off | 1.000 | 0.959 | 0.778 | 0.680 | 0.921 |" in text
