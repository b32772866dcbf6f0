"""Pid files that cannot be fooled by pid reuse, and the status table."""

import os
import subprocess

import pytest

from shopflow_stack.cli import format_table
from shopflow_stack.process import start_time
from shopflow_stack.stack import StatusRow

pytestmark = pytest.mark.unit


def test_start_time_identifies_a_live_process_and_not_a_finished_one():
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert start_time(child.pid) is not None
    finally:
        child.kill()
        child.wait()
    assert start_time(child.pid) is None


def test_an_exited_but_unreaped_child_counts_as_gone():
    child = subprocess.Popen(["true"])
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, still a zombie
    try:
        assert start_time(child.pid) is None
    finally:
        child.wait()


def test_status_table_aligns_columns():
    rows = [
        StatusRow("redis", "redis", 42, 6380, "healthy", "/x/redis.log"),
        StatusRow("postgres-order", "postgres", None, 5441, "dead", "/x/pg.log"),
    ]

    lines = format_table(rows).splitlines()

    assert lines[0].split() == ["NAME", "KIND", "PID", "PORT", "HEALTH", "LOG"]
    assert lines[2].split()[:5] == ["postgres-order", "postgres", "-", "5441", "dead"]
    assert lines[1].index("6380") == lines[2].index("5441") == lines[0].index("PORT")
