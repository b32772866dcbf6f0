"""The umbrella chart on a real API server (kwok nodes): install, upgrade, test, uninstall.

The namespace enforces the restricted Pod Security Standard, so every pod the
controllers create must pass admission for a Deployment to become available. What this
cannot show is whether the images start: kwok reports pods ready without running them.
"""

import json
import os
import subprocess
import time
import urllib.error

import pytest
import yaml

from shopflow_stack.charts import HELM_DIR, UMBRELLA
from shopflow_stack.config import OBSERVABILITY_DIR
from shopflow_stack.kube import ControlPlane
from shopflow_stack.kube_schemas import operator_crd
from shopflow_stack.tools import ensure_tool

pytestmark = pytest.mark.kubernetes

RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
}
SERVICES = ("gateway", "order", "inventory", "payment", "notification", "payment-provider")
PLURALS = {
    "ConfigMap": "configmaps",
    "Secret": "secrets",
    "Service": "services",
    "Deployment": "deployments",
    "StatefulSet": "statefulsets",
    "Job": "jobs",
    "NetworkPolicy": "networkpolicies",
    "PodDisruptionBudget": "poddisruptionbudgets",
    "HorizontalPodAutoscaler": "horizontalpodautoscalers",
    "Ingress": "ingresses",
    "ServiceMonitor": "servicemonitors",
    "PrometheusRule": "prometheusrules",
}


def helm(plane: ControlPlane, *args: str) -> str:
    result = subprocess.run(
        [str(ensure_tool("helm")), *args],
        env={**os.environ, "KUBECONFIG": str(plane.kubeconfig)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"helm {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def restricted_namespace(plane: ControlPlane, name: str) -> str:
    """A namespace enforcing the restricted standard, once the controller-manager has given
    it its default service account (pods are refused before that)."""
    namespace = {"metadata": {"name": name, "labels": RESTRICTED}}
    plane.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", **namespace})
    accounts = f"/api/v1/namespaces/{name}/serviceaccounts"
    _wait_until(
        lambda: any(a["metadata"]["name"] == "default" for a in items(plane, accounts)),
        f"a default service account in {name}",
    )
    return name


def object_path(obj: dict, namespace: str) -> str:
    version = obj["apiVersion"]
    base = f"/api/{version}" if "/" not in version else f"/apis/{version}"
    return f"{base}/namespaces/{namespace}/{PLURALS[obj['kind']]}/{obj['metadata']['name']}"


def manifest(plane: ControlPlane, release: str, namespace: str) -> list[dict]:
    rendered = helm(plane, "get", "manifest", release, "-n", namespace)
    return [obj for obj in yaml.safe_load_all(rendered) if obj]


def hooks(plane: ControlPlane, release: str, namespace: str) -> dict[str, dict]:
    status = json.loads(helm(plane, "status", release, "-n", namespace, "-o", "json"))
    return {hook["name"]: hook for hook in status.get("hooks", [])}


def items(plane: ControlPlane, path: str) -> list[dict]:
    return plane.get(path)["items"]


def install_args(namespace: str, *values: str) -> list[str]:
    chart = str(HELM_DIR / UMBRELLA)
    files = [arg for value in values for arg in ("-f", f"{chart}/{value}")]
    return [chart, "-n", namespace, *files, "--wait", "--wait-for-jobs", "--timeout", "3m"]


def test_install_upgrade_test_and_uninstall_on_a_real_api_server(charts, control_plane):
    plane = control_plane
    namespace = restricted_namespace(plane, "shopflow")
    started = time.monotonic()

    helm(plane, "install", "shopflow", *install_args(namespace, "values-kind.yaml"))

    installed = manifest(plane, "shopflow", namespace)
    for obj in installed:
        assert plane.get(object_path(obj, namespace))["metadata"]["uid"]
    deployments = items(plane, f"/apis/apps/v1/namespaces/{namespace}/deployments")
    assert len(deployments) == 7  # six services and Redis
    for deployment in deployments:
        assert deployment["status"].get("availableReplicas") == deployment["spec"]["replicas"]
    statefulsets = items(plane, f"/apis/apps/v1/namespaces/{namespace}/statefulsets")
    assert len(statefulsets) == 6  # five databases and Kafka
    assert all(s["status"].get("readyReplicas") == s["spec"]["replicas"] for s in statefulsets)
    claims = items(plane, f"/api/v1/namespaces/{namespace}/persistentvolumeclaims")
    assert {claim["status"]["phase"] for claim in claims} == {"Bound"}
    [seed] = [h for name, h in hooks(plane, "shopflow", namespace).items() if "demo-data" in name]
    assert seed["last_run"]["phase"] == "Succeeded"
    passwords = _database_passwords(plane, namespace)

    helm(
        plane,
        "upgrade",
        "shopflow",
        *install_args(namespace, "values-kind.yaml"),
        "--set",
        "global.image.tag=0.1.1",
    )

    for deployment in items(plane, f"/apis/apps/v1/namespaces/{namespace}/deployments"):
        images = {c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]}
        if deployment["metadata"]["labels"]["app.kubernetes.io/name"] != "redis":
            assert all(image.endswith(":0.1.1") for image in images), images
        assert deployment["status"].get("updatedReplicas") == deployment["spec"]["replicas"]
    [seed_again] = [
        h for name, h in hooks(plane, "shopflow", namespace).items() if "demo-data" in name
    ]
    assert seed_again["last_run"]["started_at"] > seed["last_run"]["started_at"]
    assert _database_passwords(plane, namespace) == passwords  # generated once, kept

    helm(plane, "test", "shopflow", "-n", namespace, "--timeout", "2m")
    [test_hook] = [
        h
        for name, h in hooks(plane, "shopflow", namespace).items()
        if name.endswith("gateway-test") and h["kind"] == "Job"
    ]
    assert test_hook["last_run"]["phase"] == "Succeeded"

    helm(plane, "uninstall", "shopflow", "-n", namespace, "--wait")

    for obj in installed:
        with pytest.raises(urllib.error.HTTPError) as gone:
            plane.get(object_path(obj, namespace))
        assert gone.value.code == 404, obj["metadata"]["name"]
    print(f"\ninstall, upgrade, test and uninstall took {time.monotonic() - started:.1f}s")


def test_the_minikube_values_install_on_a_real_api_server_too(charts, control_plane):
    """What `make minikube-up` installs: the same chart, autoscalers on."""
    plane = control_plane
    namespace = restricted_namespace(plane, "shopflow-minikube")

    helm(plane, "install", "shopflow", *install_args(namespace, "values-minikube.yaml"))

    installed = manifest(plane, "shopflow", namespace)
    for obj in installed:
        assert plane.get(object_path(obj, namespace))["metadata"]["uid"]
    assert any(obj["kind"] == "HorizontalPodAutoscaler" for obj in installed)
    for deployment in items(plane, f"/apis/apps/v1/namespaces/{namespace}/deployments"):
        assert _available(deployment), deployment["metadata"]["name"]
    helm(plane, "uninstall", "shopflow", "-n", namespace, "--wait")


def test_the_namespace_refuses_a_pod_that_breaks_the_restricted_standard(control_plane):
    namespace = restricted_namespace(control_plane, "refuses-root")
    root_pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "root"},
        "spec": {"containers": [{"name": "root", "image": "shopflow/order:0.1.0"}]},
    }

    with pytest.raises(urllib.error.HTTPError) as refused:
        control_plane.create(f"/api/v1/namespaces/{namespace}/pods", root_pod)

    assert refused.value.code == 403
    assert "violates PodSecurity" in refused.value.read().decode()


def test_multi_node_values_spread_brokers_and_replicas_over_the_nodes(charts, control_plane):
    plane = control_plane
    for plural in ("servicemonitors", "prometheusrules"):
        crd = operator_crd(plural)
        plane.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
        _wait_for_crd(plane, crd["metadata"]["name"])
    namespace = restricted_namespace(plane, "shopflow-multinode")

    helm(
        plane,
        "install",
        "shopflow",
        *install_args(namespace, "values-multinode.yaml"),
        "--set",
        "global.serviceMonitor.enabled=true",
        "--set",
        "prometheusRules.enabled=true",
    )

    # kwok has no metrics server: scale each service to its autoscaler's minimum, as the
    # autoscaler does once it has CPU figures, and let the scheduler place the replicas.
    deployments = f"/apis/apps/v1/namespaces/{namespace}/deployments"
    autoscalers = items(
        plane, f"/apis/autoscaling/v2/namespaces/{namespace}/horizontalpodautoscalers"
    )
    for autoscaler in autoscalers:
        target = autoscaler["spec"]["scaleTargetRef"]["name"]
        scale = {"spec": {"replicas": autoscaler["spec"]["minReplicas"]}}
        plane.request("PATCH", f"{deployments}/{target}/scale", scale, merge=True)
    _wait_until(lambda: all(_available(d) for d in items(plane, deployments)), "replicas ready")

    by_component: dict[str, list[str]] = {}
    for pod in items(plane, f"/api/v1/namespaces/{namespace}/pods"):
        component = pod["metadata"]["labels"]["app.kubernetes.io/name"]
        by_component.setdefault(component, []).append(pod["spec"]["nodeName"])
    assert len(set(by_component["kafka"])) == 3
    assert len(autoscalers) == len(SERVICES)
    for service in SERVICES:
        nodes = by_component[service]
        assert len(nodes) >= 2, (service, nodes)
        assert len(set(nodes)) == len(nodes), (service, nodes)
    monitors = items(
        plane, f"/apis/monitoring.coreos.com/v1/namespaces/{namespace}/servicemonitors"
    )
    assert len(monitors) == 6
    # As stored: the CRD's structural schema would have pruned a field it does not know.
    stored = {
        r["metadata"]["name"]: r["spec"]["groups"]
        for r in items(
            plane, f"/apis/monitoring.coreos.com/v1/namespaces/{namespace}/prometheusrules"
        )
    }
    rule_files = sorted((OBSERVABILITY_DIR / "prometheus" / "rules").glob("*.yml"))
    assert stored == {
        f"shopflow-{path.stem}": yaml.safe_load(path.read_text())["groups"] for path in rule_files
    }

    helm(plane, "uninstall", "shopflow", "-n", namespace, "--wait")


def _database_passwords(plane: ControlPlane, namespace: str) -> dict[str, str]:
    secrets = items(plane, f"/api/v1/namespaces/{namespace}/secrets")
    return {
        s["metadata"]["name"]: s["data"]["password"]
        for s in secrets
        if s["metadata"]["name"].endswith("-db")
    }


def _wait_for_crd(plane: ControlPlane, name: str) -> None:
    def established() -> bool:
        crd = plane.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
        conditions = crd.get("status", {}).get("conditions", [])
        return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)

    _wait_until(established, f"CRD {name} established")


def _available(deployment: dict) -> bool:
    status = deployment["status"]
    wanted = deployment["spec"]["replicas"]
    return status.get("availableReplicas") == wanted and status.get("updatedReplicas") == wanted


def _wait_until(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not {what} after {timeout}s"
        time.sleep(0.2)
