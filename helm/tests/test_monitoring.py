"""The chart's Prometheus rules and Grafana dashboards are observability/'s, unchanged.

helm/shopflow/files/ links to observability/ (ADR 0019): these tests fail if the chart
ever renders rules or dashboards that differ from the files the local stack's Prometheus
evaluates and promtool tests, or if the scrape's `job` stops being what the rules select.
"""

import re

import pytest
import yaml

from shopflow_stack.charts import policy_findings, schema_errors
from shopflow_stack.config import OBSERVABILITY_DIR

pytestmark = pytest.mark.kubernetes

RULE_FILES = sorted((OBSERVABILITY_DIR / "prometheus" / "rules").glob("*.yml"))
DASHBOARDS = sorted((OBSERVABILITY_DIR / "grafana" / "dashboards").glob("*.json"))
RULES_ON = "prometheusRules.enabled=true"


def objects_of(rendered: str, kind: str) -> list[dict]:
    return [o for o in yaml.safe_load_all(rendered) if o and o["kind"] == kind]


@pytest.fixture(scope="module")
def monitored(charts) -> str:
    return charts.render("", RULES_ON, "global.serviceMonitor.enabled=true")


def test_each_rule_file_is_a_prometheus_rule_with_its_groups_unchanged(monitored):
    rendered = {o["metadata"]["name"]: o["spec"] for o in objects_of(monitored, "PrometheusRule")}

    expected = {
        f"shopflow-{path.stem}": {"groups": yaml.safe_load(path.read_text())["groups"]}
        for path in RULE_FILES
    }
    assert RULE_FILES
    assert rendered == expected, "the chart's rules drifted from observability/prometheus/rules"


def test_each_dashboard_is_a_config_map_for_the_grafana_sidecar_unchanged(charts):
    maps = objects_of(charts.render(""), "ConfigMap")
    dashboards = {o["metadata"]["name"]: o for o in maps if "-dashboard-" in o["metadata"]["name"]}

    assert DASHBOARDS
    assert set(dashboards) == {f"shopflow-dashboard-{path.stem}" for path in DASHBOARDS}
    for path in DASHBOARDS:
        config_map = dashboards[f"shopflow-dashboard-{path.stem}"]
        assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert config_map["data"] == {path.name: path.read_text().rstrip("\n")}


def test_the_sidecars_label_namespace_and_folder_are_configurable(charts):
    rendered = charts.render(
        "",
        "grafanaDashboards.label=shop_dashboard",
        "grafanaDashboards.labelValue=yes",
        "grafanaDashboards.namespace=monitoring",
        "grafanaDashboards.annotations.grafana_folder=ShopFlow",
    )

    dashboards = [
        o for o in objects_of(rendered, "ConfigMap") if "-dashboard-" in o["metadata"]["name"]
    ]
    assert len(dashboards) == len(DASHBOARDS)
    for config_map in dashboards:
        metadata = config_map["metadata"]
        assert metadata["labels"]["shop_dashboard"] == "yes"
        assert "grafana_dashboard" not in metadata["labels"]
        assert metadata["namespace"] == "monitoring"
        assert metadata["annotations"] == {"grafana_folder": "ShopFlow"}


def test_by_default_nothing_needs_the_operators_crds(charts):
    rendered = charts.render("")

    assert objects_of(rendered, "PrometheusRule") == []
    assert objects_of(rendered, "ServiceMonitor") == []
    assert "-dashboard-" not in charts.render("", "grafanaDashboards.enabled=false")


def test_runbook_links_get_the_base_url_and_nothing_else_changes(charts, monitored):
    base = "https://github.com/acme/shopflow/blob/main/"
    linked = charts.render("", RULES_ON, f"prometheusRules.runbookBaseUrl={base}")

    def alerts(rendered: str) -> list[dict]:
        return [
            rule
            for rule_object in objects_of(rendered, "PrometheusRule")
            for group in rule_object["spec"]["groups"]
            for rule in group["rules"]
            if "alert" in rule
        ]

    relative, absolute = alerts(monitored), alerts(linked)
    assert relative
    for before, after in zip(relative, absolute, strict=True):
        assert after["annotations"]["runbook_url"] == base + before["annotations"]["runbook_url"]
        after["annotations"]["runbook_url"] = before["annotations"]["runbook_url"]
        assert after == before


def test_the_scrapes_job_label_is_the_unit_the_rules_select(monitored):
    """The rules select `job="gateway"` and the like, as the local stack names its scrape
    jobs; under the operator `job` comes from the Service label the ServiceMonitor names."""
    services = {o["metadata"]["name"]: o for o in objects_of(monitored, "Service")}
    units = set()
    for monitor in objects_of(monitored, "ServiceMonitor"):
        service = services[monitor["metadata"]["name"]]
        units.add(service["metadata"]["labels"][monitor["spec"]["jobLabel"]])
    selected = {
        job for path in RULE_FILES for job in re.findall(r'job="([^"]+)"', path.read_text())
    }

    assert units == {"gateway", "order", "inventory", "payment", "notification", "payment-provider"}
    assert selected
    assert selected <= units


def test_the_rules_and_dashboards_pass_the_schemas_and_the_policy(monitored):
    assert schema_errors(monitored) == []
    assert policy_findings(monitored) == []
