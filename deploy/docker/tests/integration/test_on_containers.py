"""The container pass: the integration tests of what every service builds on, run again in
a pytest of their own on containers of the compose stack's infrastructure images
(SHOPFLOW_TEST_INFRA=containers: PostgreSQL, Kafka and Redis as the stand-ins, or the
official images with SHOPFLOW_IMAGES=official).

Which tests (ON_CONTAINERS): those whose subject is how the servers behave under our
mechanisms — the shared libraries' (the outbox and its relay through a broker outage,
consumers and their inbox, dead letters, topics, the saga store, migrations taking turns,
the fixtures themselves), the broker's durability across a restart, and the gateway's
rate limiter (a script Redis runs). The services' own integration tests reach the servers
only through those mechanisms, and their migrations and code run on the same images end
to end in the compose test; why not all of them: ADR 0016.
`SHOPFLOW_TEST_INFRA=containers make test ARGS="-m integration"` runs every one.

Its JUnit file is written beside the main run's (`<name>-containers.xml`): CI counts both.
"""

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from shopflow_docker.engine import NoEngineError, find_engine
from shopflow_stack.config import REPO_ROOT, load
from shopflow_testing.terminal import say

pytestmark = [pytest.mark.integration, pytest.mark.timeout(2400)]

ON_CONTAINERS = (
    "libs",
    "deploy/local/tests/integration/test_kafka_broker.py",
    "gateway/tests/integration/test_rate_limit.py",
)

try:
    find_engine()
except NoEngineError as missing:
    pytest.skip(f"container pass: {missing}", allow_module_level=True)


def test_the_shared_mechanisms_integration_tests_pass_on_containers(request, tmp_path):
    junit = junit_path(request.config, tmp_path)
    log = load().state_dir / "logs" / "container-pass.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    with log.open("w") as output:
        run = subprocess.run(
            [sys.executable, "-m", "pytest", *ON_CONTAINERS, "-p", "no:cacheprovider",
             f"--junitxml={junit}", "--durations=10"],
            cwd=REPO_ROOT,
            env={**os.environ, "SHOPFLOW_TEST_INFRA": "containers"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    seconds = time.monotonic() - began
    counts = junit_counts(junit) if junit.exists() else {}
    executed = counts.get("tests", 0) - counts.get("skipped", 0)
    say(
        request.config,
        f"container pass: {executed} tests on containers in {seconds:.0f}s, "
        f"{counts.get('failures', 0) + counts.get('errors', 0)} failed (log: {log})",
    )
    tail = "\n".join(log.read_text().splitlines()[-60:])
    assert run.returncode == 0, f"the container pass failed (log: {log}):\n{tail}"
    assert executed > 0, f"the container pass ran nothing (log: {log}):\n{tail}"


def junit_path(config: pytest.Config, tmp_path: Path) -> Path:
    """Beside the main run's JUnit file when there is one (CI counts both), else private."""
    main = getattr(config.option, "xmlpath", None)
    if main:
        return Path(main).with_name(f"{Path(main).stem}-containers.xml").resolve()
    return tmp_path / "junit.xml"


def junit_counts(path: Path) -> dict[str, int]:
    root = ElementTree.parse(path).getroot()
    suite = root if root.tag == "testsuite" else root[0]
    return {name: int(suite.get(name, 0)) for name in ("tests", "skipped", "failures", "errors")}
