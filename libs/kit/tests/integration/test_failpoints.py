"""A failpoint holds a real process at its moment, for a test to kill it there; a
production process with failpoints asked for does not start."""

import asyncio
import os
import signal
import subprocess
import sys

import pytest

from shopflow_testing.failpoints import until_stopped

pytestmark = pytest.mark.integration

HELD = """
from shopflow_kit.failpoints import failpoint
print("before", flush=True)
failpoint("relay.after-publish")
print("after", flush=True)
"""


def test_an_armed_failpoint_stops_the_process_there_until_it_is_killed():
    environment = {
        **os.environ,
        "SHOPFLOW_ENVIRONMENT": "test",
        "SHOPFLOW_FAILPOINTS": "relay.after-publish=pause",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", HELD],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        said = process.stderr.readline()
        assert said == f"failpoint relay.after-publish: paused, pid {process.pid}\n"
        # Stopped (the kernel shows it a moment after the SIGSTOP): nothing after it runs.
        asyncio.run(until_stopped(process.pid))
    finally:
        process.kill()
        process.wait()

    assert process.returncode == -signal.SIGKILL
    assert process.stdout.read() == "before\n"


def test_a_production_process_with_failpoints_refuses_to_start():
    environment = {
        name: value for name, value in os.environ.items() if name != "SHOPFLOW_ENVIRONMENT"
    }
    environment["SHOPFLOW_FAILPOINTS"] = "relay.after-publish=pause"

    run = subprocess.run(
        [sys.executable, "-c", "import shopflow_kit.messaging.relay"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert run.returncode != 0
    assert "FailpointsRefusedError: SHOPFLOW_FAILPOINTS is set" in run.stderr
