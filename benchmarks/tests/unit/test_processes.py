"""Process trees as the bench counts them: a measured child is its own row, not its parent's."""

import os

import pytest

from shopflow_benchmarks.processes import machine_busy_seconds, sample, tree

pytestmark = pytest.mark.unit


def test_a_tree_leaves_out_what_is_measured_apart():
    children = {1: [2, 3], 2: [4], 3: [5]}
    assert sorted(tree(1, children)) == [1, 2, 3, 4, 5]
    assert sorted(tree(1, children, frozenset({3}))) == [1, 2, 4]


def test_this_process_has_cpu_time_and_memory():
    spent = sum(range(200_000))  # some CPU of our own to count
    figures = sample({"me": os.getpid()})["me"]
    assert spent
    assert figures.cpu_seconds > 0
    assert figures.pss_mb > 1
    busy, total = machine_busy_seconds()
    assert 0 < busy <= total


def test_kernel_time_is_counted_inside_the_cpu_time_and_apart():
    before = sample({"me": os.getpid()})["me"]
    for _ in range(20_000):  # syscalls: time spent in the kernel on our behalf
        os.stat("/")
    after = sample({"me": os.getpid()})["me"]
    assert after.system_seconds > before.system_seconds
    assert 0 <= after.system_seconds <= after.cpu_seconds
