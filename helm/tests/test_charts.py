"""The charts, offline: lint, the API's schemas, the policy, Pod Security, the flows."""

import json

import pytest
import yaml

from shopflow_stack.charts import VALUES_FILES, policy_findings, schema_errors
from shopflow_stack.config import load
from shopflow_stack.deploy_check import check_shared_env, shared_env, stack_units

pytestmark = pytest.mark.kubernetes

VALUES = pytest.mark.parametrize("values", VALUES_FILES, ids=lambda v: v or "defaults")
SERVICES = {"gateway", "order", "inventory", "payment", "notification", "payment-provider"}


@VALUES
def test_lint_is_clean_in_strict_mode(charts, values):
    result = charts.lint(values)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stdout


@VALUES
def test_every_object_is_valid_against_the_kubernetes_schemas(schema_report, values):
    assert schema_report[values] == []


def test_the_service_monitors_and_external_infrastructure_are_valid_too(charts):
    rendered = charts.render(
        "values-multinode.yaml",
        "global.serviceMonitor.enabled=true",
        "kafka.enabled=false",
        "kafka.bootstrapServers=kafka.example.com:9092",
        "redis.enabled=false",
        "redis.url=redis://redis.example.com:6379/0",
        "order.database.url=postgresql+asyncpg://orders:secret@orders.db.example.com:5432/orders",
        "global.tracing.endpoint=http://otel-collector.observability:4318",
    )

    assert "kind: ServiceMonitor" in rendered
    assert 'OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel-collector.observability:4318"' in rendered
    assert "port: 4318" in rendered
    assert schema_errors(rendered) == []
    assert policy_findings(rendered) == []


@VALUES
def test_the_policy_passes_or_the_values_say_why_not(renderings, values):
    assert policy_findings(renderings[values]) == []


@VALUES
def test_every_pod_meets_the_restricted_pod_security_standard(rendered_objects, values):
    for obj in rendered_objects[values]:
        pod = _pod_spec(obj)
        if pod is None:
            continue
        where = f"{obj['kind']} {obj['metadata']['name']}"
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", where
        assert pod["automountServiceAccountToken"] is False, where
        for container in pod["containers"] + pod.get("initContainers", []):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert "add" not in context["capabilities"], where
            assert not any("hostPath" in volume for volume in pod.get("volumes", [])), where


def test_a_multi_node_cluster_gets_three_brokers_and_spread_replicas(rendered_objects):
    objects = rendered_objects["values-multinode.yaml"]
    [kafka] = [
        o
        for o in objects
        if o["kind"] == "StatefulSet" and o["metadata"]["name"].endswith("-kafka")
    ]
    env = {
        e["name"]: e.get("value") for e in kafka["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert kafka["spec"]["replicas"] == 3
    assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
    assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].count("@") == 3
    [order] = [
        o
        for o in objects
        if o["kind"] == "Deployment" and o["metadata"]["name"] == "shopflow-order"
    ]
    [topics] = [c for c in _pod_spec(order)["initContainers"] if c["name"] == "topics"]
    assert topics["command"][3:] == [
        "--partitions",
        "6",
        "--replication-factor",
        "3",
        "--min-insync-replicas",
        "2",
    ]

    autoscalers = {
        o["spec"]["scaleTargetRef"]["name"]: o
        for o in objects
        if o["kind"] == "HorizontalPodAutoscaler"
    }
    for deployment in (o for o in objects if o["kind"] == "Deployment"):
        name = deployment["metadata"]["name"]
        if deployment["metadata"]["labels"]["app.kubernetes.io/name"] not in SERVICES:
            continue
        assert autoscalers[name]["spec"]["minReplicas"] >= 2, name
        [by_node, _] = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
        assert by_node["topologyKey"] == "kubernetes.io/hostname", name
        assert by_node["whenUnsatisfiable"] == "DoNotSchedule", name


def test_a_service_with_an_external_database_gets_no_postgres_of_its_own(charts):
    url = "postgresql+asyncpg://orders:secret@orders.db.example.com:5432/orders"
    rendered = charts.render("values-multinode.yaml", f"order.database.url={url}")

    assert "name: shopflow-order-postgres" not in rendered
    assert "name: shopflow-inventory-postgres" in rendered
    assert f'url: "{url}"' in rendered


def test_network_policies_admit_only_the_flows_of_the_architecture(rendered_objects):
    flows = set()
    for policy in (o for o in rendered_objects[""] if o["kind"] == "NetworkPolicy"):
        target = policy["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/component")
        for rule in policy["spec"].get("ingress", []):
            ports = tuple(sorted(port["port"] for port in rule["ports"]))
            for peer in rule["from"]:
                source = (
                    peer.get("podSelector", {})
                    .get("matchLabels", {})
                    .get("app.kubernetes.io/component")
                    or "namespace "
                    + peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                )
                flows.add((source, target, ports))

    assert flows == {
        ("namespace ingress-nginx", "gateway", (8080,)),
        ("gateway-test", "gateway", (8080,)),
        ("gateway", "order", (8001,)),
        ("gateway", "inventory", (8002,)),
        ("order", "inventory", (8002,)),
        ("gateway", "payment", (8003,)),
        ("gateway", "notification", (8004,)),
        ("payment", "payment-provider", (8010,)),
        ("gateway", "redis", (6379,)),
        *(
            (service, f"{service}-postgres", (5432,))
            for service in ("order", "inventory", "payment", "notification", "payment-provider")
        ),
        *(
            (service, "kafka", (9092,))
            for service in ("order", "inventory", "payment", "notification")
        ),
        ("kafka", "kafka", (9092, 9093)),
    }


def _pod_spec(obj):
    if obj["kind"] in ("Deployment", "StatefulSet", "Job"):
        return obj["spec"]["template"]["spec"]
    return None


CONSOLE = (
    "console.tracesUrl=http://jaeger-query.observability:16686",
    "console.dashboardLinks.Grafana=http://127.0.0.1:3000",
)


def test_the_console_gets_its_trace_backend_links_and_fault_switches(charts):
    objects = [o for o in yaml.safe_load_all(charts.render("values-kind.yaml", *CONSOLE)) if o]
    [env] = [
        o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-env")
    ]
    policies = {o["metadata"]["name"]: o["spec"] for o in objects if o["kind"] == "NetworkPolicy"}

    # Names the gateway reads, as compose and the local stack set them.
    assert (
        check_shared_env(shared_env(objects, "shopflow"), load().environment(), stack_units()) == []
    )
    assert env["data"]["GATEWAY_TRACES_URL"] == "http://jaeger-query.observability:16686"
    assert json.loads(env["data"]["GATEWAY_DASHBOARD_LINKS"]) == {
        "Grafana": "http://127.0.0.1:3000"
    }
    egress = [
        port["port"] for rule in policies["shopflow-gateway"]["egress"] for port in rule["ports"]
    ]
    assert {8010, 16686} <= set(egress)  # the simulator's switches (development), Jaeger's API
    [admitted] = policies["shopflow-payment-provider"]["ingress"]
    callers = {
        peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
        for peer in admitted["from"]
    }
    assert callers == {"gateway", "payment"}
