"""A Go tool is really built from the module proxy, once, and then found in the cache."""

import subprocess

import pytest

from shopflow_stack.tools import catalogue, ensure_tool, find_go

pytestmark = pytest.mark.integration


def test_a_catalogued_tool_builds_once_and_runs():
    path = ensure_tool("toxiproxy-cli")
    built_at = path.stat().st_mtime_ns

    assert ensure_tool("toxiproxy-cli") == path == catalogue()["toxiproxy-cli"].path
    assert path.stat().st_mtime_ns == built_at  # the second call built nothing
    subprocess.run([path, "--help"], capture_output=True, check=True)
    # The binary records the module version it was built from.
    built_from = subprocess.run([find_go(), "version", "-m", path], capture_output=True, text=True)
    assert "github.com/Shopify/toxiproxy/v2\tv2.5.0" in built_from.stdout
