"""The Prometheus configuration and rules pass promtool, every alert is unit-tested both
ways and has its runbook, and the committed dashboards are what their code generates."""

import json
import os
import runpy
import subprocess

import pytest
import yaml

from shopflow_stack.config import OBSERVABILITY_DIR, REPO_ROOT, load
from shopflow_stack.install import ensure_command
from shopflow_stack.observability import scrape_config
from shopflow_stack.tools import ensure_tool

PROMETHEUS = OBSERVABILITY_DIR / "prometheus"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.yml"))
DASHBOARDS = OBSERVABILITY_DIR / "grafana" / "dashboards"


@pytest.fixture(scope="module")
def promtool() -> str:
    return ensure_command("promtool", "prometheus")


def run(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True, cwd=PROMETHEUS)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def alerts() -> list[dict]:
    return [
        rule
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def test_the_compose_scrape_config_is_valid(promtool):
    run([promtool, "check", "config", "prometheus.yml"])


def test_the_local_stacks_scrape_config_and_its_rules_are_valid(promtool, tmp_path):
    config = tmp_path / "prometheus.yml"
    config.write_text(json.dumps(scrape_config(load())))

    output = run([promtool, "check", "config", str(config)])

    assert all(path.name in output for path in RULE_FILES), output


def test_the_rules_are_valid(promtool):
    run([promtool, "check", "rules", *map(str, RULE_FILES)])


def test_every_alert_fires_and_stays_quiet_in_its_unit_tests(promtool):
    run([promtool, "test", "rules", *map(str, RULE_TESTS)])
    cases = [yaml.safe_load(path.read_text())["tests"] for path in RULE_TESTS]
    checks = [c for tests in cases for test in tests for c in test.get("alert_rule_test", [])]
    for name in {rule["alert"] for rule in alerts()}:
        outcomes = [bool(c["exp_alerts"]) for c in checks if c["alertname"] == name]
        assert True in outcomes, f"no test sees {name} fire"
        assert False in outcomes, f"no test sees {name} stay quiet"


def test_every_alert_links_a_runbook_that_exists():
    for rule in alerts():
        runbook = REPO_ROOT / rule["annotations"]["runbook_url"]
        assert runbook.is_file(), f"{rule['alert']}: no {runbook}"
        assert rule["alert"] in runbook.read_text(), f"{runbook} does not name {rule['alert']}"


def test_the_committed_dashboards_are_what_their_code_generates():
    generated = runpy.run_path(str(OBSERVABILITY_DIR / "grafana" / "dashboards.py"))["rendered"]()

    committed = {path.name: path.read_text() for path in DASHBOARDS.glob("*.json")}
    assert committed == generated, "stale dashboards: run `make dashboards` and commit"


def test_the_collector_configuration_is_valid_for_a_real_collector():
    """Jaeger v2 is an OpenTelemetry Collector distribution with the same core components."""
    jaeger = ensure_tool("jaeger")
    environment = {**os.environ, "JAEGER_OTLP_ENDPOINT": "jaeger:4317"}
    config = OBSERVABILITY_DIR / "otel-collector" / "config.yaml"
    result = subprocess.run(
        [str(jaeger), "validate", "--config", str(config)],
        capture_output=True,
        text=True,
        env=environment,
    )
    assert result.returncode == 0, result.stderr
