"""The checks can fail: each one, shown a chart broken the way a change could break it."""

import pytest
import yaml

from shopflow_stack.charts import policy_findings, schema_errors
from shopflow_stack.deploy_check import check_helm, stack_units

pytestmark = pytest.mark.kubernetes


def break_file(charts, path: str, old: str, new: str) -> None:
    file = charts.folder / path
    text = file.read_text()
    assert old in text, f"{path} no longer contains {old!r}: update this test"
    file.write_text(text.replace(old, new, 1))
    charts.build_dependencies()


def test_a_misspelt_field_in_a_template_fails_the_schema_check(broken_charts):
    break_file(
        broken_charts,
        "shopflow-lib/templates/_service.tpl",
        "containerPort: {{ $v.port }}",
        "containerPorts: {{ $v.port }}",
    )

    errors = schema_errors(broken_charts.render("values-kind.yaml"))

    assert errors
    assert all("containerPorts" in error for error in errors)


def test_a_misspelt_field_of_a_prometheus_rule_fails_the_schema_check(broken_charts):
    break_file(broken_charts, "shopflow/templates/monitoring.yaml", "  groups:", "  group:")

    errors = schema_errors(broken_charts.render("", "prometheusRules.enabled=true"))

    assert errors
    assert all("PrometheusRule" in error and "group" in error for error in errors)


def test_a_misspelt_or_mistyped_value_fails_lint(broken_charts):
    misspelt = broken_charts.lint("", "order.replica=2")
    mistyped = broken_charts.lint("", "global.serviceDefaults.replicas=two")

    assert misspelt.returncode != 0
    assert "replica" in misspelt.stdout + misspelt.stderr
    assert mistyped.returncode != 0


def test_a_misspelt_variable_name_fails_the_cross_check(broken_charts):
    break_file(broken_charts, "order/values.yaml", "envPrefix: ORDER_", "envPrefix: ORDERS_")

    objects = [o for o in yaml.safe_load_all(broken_charts.render("")) if o]
    problems = check_helm(objects, stack_units())

    assert "helm order: sets ORDERS_DATABASE_URL, which order does not read" in problems
    assert "helm order: does not set ORDER_DATABASE_URL, which order needs" in problems


def test_a_policy_breach_without_a_reason_in_the_values_fails_the_policy_check(broken_charts):
    break_file(
        broken_charts,
        "shopflow/values.yaml",
        "      container-security-context-user-group-id: the official image's postgres user",
        "      unrelated-check-id: the official image's postgres user",
    )

    findings = policy_findings(broken_charts.render(""))

    assert findings
    assert all("-postgres apps/v1/StatefulSet" in finding for finding in findings)
    assert any("user" in finding.lower() for finding in findings)
