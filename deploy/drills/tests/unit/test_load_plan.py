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
