"""`make bench`, every measurement tiny, on the running stack: the report has every figure.

A smoke test of the harness, never of speed: nothing here asserts how fast anything is.
"""

import pytest

from shopflow_benchmarks.__main__ import run
from shopflow_benchmarks.harness import SMOKE
from shopflow_benchmarks.report import markdown
from shopflow_benchmarks.tracing import SERVICES
from shopflow_testing.terminal import say

pytestmark = pytest.mark.e2e


def number(figures: dict, *path: str) -> float:
    value = figures
    for key in path:
        value = value[key]
    assert isinstance(value, int | float), (path, value)
    return value


# Tracing runs one mode, on the bench gateway alone (SMOKE.tracing_services): no service restarts.
@pytest.mark.timeout(600)
async def test_a_tiny_bench_run_has_every_figure(shop, request):
    figures = await run(SMOKE)
    sections = ", ".join(f"{name} {s:.0f}s" for name, s in figures["seconds_per_section"].items())
    say(request.config, f"bench smoke: {figures['duration_seconds']:.0f}s ({sections})")

    measured = {p.name for p in shop.processes if p.name != "gateway"} | {"gateway"}
    assert set(figures["memory_at_rest_mb"]) == measured
    saga = figures["saga"]
    assert set(saga["cpu_ms_per_order"]) == measured | {"load generator (bench)"}
    assert set(saga["peak_pss_mb"]) >= measured
    summary = saga["summary"]
    assert summary["accepted"] == summary["offered"] == 5
    for cut in ("p50", "p95", "p99", "max"):
        number(summary, "placed_to_confirmed", cut)
    number(summary, "confirmed_per_second")
    number(saga, "stack_cpu_ms_per_order")
    assert saga["audit"]["consistent"], saga["audit"]
    assert figures["search"]["steps"]
    overload = figures["overload"]
    assert list(overload["windows"]) == ["before", "overload", "after", "later"]
    for window in overload["windows"].values():
        assert window["offered"] == round(window["rate"] * window["seconds"]) > 0
        assert window["accepted"] + window["never_accepted"] == window["offered"]
        assert window["attempts"] >= window["offered"]
    assert overload["windows"]["overload"]["rate"] == 2 * overload["sustainable_rate"]
    number(overload, "confirmed_vs_sustainable")
    number(overload, "accepted_then_timed_out")
    number(overload, "answers_not_at_the_door")
    assert isinstance(overload["back_to_normal"], bool)
    assert overload["audit"]["consistent"], overload["audit"]
    for read in ("bare_app", "order_healthz"):
        assert number(figures["reads"], read, "requests_per_second") > 0
    for pair in figures["reads"]["get_order"]:
        assert pair["direct"]["errors"] == pair["gateway"]["errors"] == 0
        number(pair, "gateway_share")
        assert set(pair["direct"]["cpu_ms_per_request"]) == {"order", "postgres-order"}
        number(pair, "gateway", "cpu_ms_per_request", "gateway")
    relay = figures["relay"]
    assert set(relay["drain_per_second"]) == {"1 relay", "2 relays"}
    for how in ("listen_notify", "polling_only"):
        number(relay, "commit_to_published", how, "p99_ms")
    number(figures["ceilings"], "postgres", "commits_per_second")
    number(figures["ceilings"], "kafka", "round_trip_p99_ms")
    number(figures["ceilings"], "kafka", "batched_produce_per_second")
    assert list(figures["tracing"]["modes"]) == list(SMOKE.tracing_modes)
    for mode in SMOKE.tracing_modes:
        number(figures["tracing"], "vs_off", mode)
        number(figures["tracing"], "capacity_vs_off", "reads", mode)
        number(figures["tracing"], "capacity_vs_off", "orders", mode)
        assert figures["tracing"]["modes"][mode]["orders"] == 5
        for figure, process in (("cpu_ms_per_request", "inventory"), ("cpu_ms_per_order", "order")):
            number(figures["tracing"], "modes", mode, f"{figure}:{process}")
    rounds = figures["tracing"]["every_round"]
    assert (len(rounds["reads"]), len(rounds["orders"])) == (
        SMOKE.tracing_read_rounds,
        SMOKE.tracing_rounds,
    )
    assert set(rounds["reads"][0]) == set(SMOKE.tracing_modes)
    # and the services are left as the stack runs them, not in the last mode measured
    assert [s for s in SERVICES if shop.get(s).staleness() is not None] == []

    text = markdown(figures)
    for heading in ("The saga, sustained", "CPU per order", "Highest rate", "Overload", "One read"):
        assert heading in text
    for heading in ("Outbox relay", "Ceilings", "Memory", "Tracing cost"):
        assert heading in text
