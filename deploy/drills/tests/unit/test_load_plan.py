"""The load generator's pure parts: the mix, its draw, and percentiles."""

import argparse
from collections import Counter

import pytest

from shopflow_drills.load import LoadPlan, Percentiles
from shopflow_drills.load.__main__ import parse_mix
from shopflow_drills.load.generator import kinds_for

pytestmark = pytest.mark.unit


def test_a_mix_is_read_as_weights():
    assert parse_mix("approved=3,declined=1") == {"approved": 3.0, "declined": 1.0}


@pytest.mark.parametrize("text", ["approved=1,refunded=1", "approved=0"])
def test_a_mix_with_an_unknown_kind_or_no_weight_is_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_mix(text)


def test_the_draw_follows_the_mix_and_a_seed_repeats_it():
    plan = LoadPlan(
        "http://gateway", rate=100, duration=20, mix={"approved": 3, "cancelled": 1}, seed=7
    )
    kinds = kinds_for(plan)
    assert len(kinds) == 2000
    assert kinds == kinds_for(plan)
    assert 0.70 < Counter(kinds)["approved"] / 2000 < 0.80


def test_percentiles_are_measured_values_by_nearest_rank():
    cuts = Percentiles.of([float(n) for n in range(1, 101)])
    assert (cuts.count, cuts.p50, cuts.p95, cuts.p99, cuts.max) == (100, 50.0, 95.0, 99.0, 100.0)
    assert Percentiles.of([0.2]).p99 == 0.2
    assert Percentiles.of([]).ms() == "none measured"


def test_a_plan_goes_on_at_each_stage_s_rate_its_schedule_unbroken():
    plan = LoadPlan("http://gateway", rate=2, duration=1, then=((4, 0.5), (1, 2)))
    assert plan.stages == ((2, 1), (4, 0.5), (1, 2))
    assert plan.seconds == 3.5
    assert plan.arrivals == 2 + 2 + 2
    assert plan.schedule() == [0.0, 0.5, 1.0, 1.25, 1.5, 2.5]
    assert len(kinds_for(plan)) == plan.arrivals


def test_one_stage_is_due_at_i_over_the_rate():
    plan = LoadPlan("http://gateway", rate=20, duration=1)
    assert plan.stages == ((20, 1),)
    assert plan.schedule() == [n / 20 for n in range(20)]
