"""The tracing section: its modes, and its verdict (each round's untraced CPU over the
mode's, then the median)."""

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


def test_the_default_mode_runs_as_a_deployment_does(monkeypatch):
    """The kit's default ratio, and the SDK's own export delay (what the Helm chart runs),
    not the local stack's demo pace of one POST a second."""
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from shopflow_benchmarks.tracing import MODES
    from shopflow_kit.telemetry import DEFAULT_SAMPLE_RATIO

    default = MODES["default"]
    assert float(default["OTEL_TRACES_SAMPLER_ARG"]) == DEFAULT_SAMPLE_RATIO
    monkeypatch.delenv("OTEL_BSP_SCHEDULE_DELAY", raising=False)
    sdk_default = BatchSpanProcessor._default_schedule_delay_millis()
    assert int(default["OTEL_BSP_SCHEDULE_DELAY"]) == sdk_default
    assert MODES["full"]["OTEL_BSP_SCHEDULE_DELAY"] == default["OTEL_BSP_SCHEDULE_DELAY"]
