"""One line on the terminal from inside a test or a fixture, past pytest's output capture:
for the figures a run should always show (how long a stack took to be healthy, what a
second pass ran), passed or failed, with or without -q."""

from __future__ import annotations

import pytest


def say(config: pytest.Config, line: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:  # -p no:terminal
        return
    capture = config.pluginmanager.get_plugin("capturemanager")
    if capture is None:  # -p no:capture: nothing to get past
        reporter.write_line(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(line)
