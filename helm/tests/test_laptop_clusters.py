"""`make kind-up` and `make minikube-up` as far as a machine without Docker, kind or
minikube can follow them: deploy/kubernetes/cluster.sh runs against stand-ins for those
programs that only write down how they were called, and the chart is rendered with the
very arguments the script gave helm. What this proves: the images the script builds are
the compose setup's (the same builder), it loads exactly the images the chart's pods
ask for, under a pull policy that uses them, into a namespace enforcing the restricted
standard, with the values file of that cluster (checked like every other by
test_charts.py). What it cannot: that kind, minikube and Docker do what they are told.
"""

import os
import shlex
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from shopflow_docker.images import units
from shopflow_stack.config import REPO_ROOT

pytestmark = pytest.mark.kubernetes

SCRIPT = REPO_ROOT / "deploy" / "kubernetes" / "cluster.sh"
# Each stand-in writes its name and arguments, one line per call, in one write: the script
# pipes `kubectl create` into `kubectl apply`, and two stand-ins appending a line in pieces
# at once interleave them. kubectl also answers the few questions the script asks it.
RECORD = 'call="$(basename "$0")$(printf " %q" "$@")"; printf "%s\\n" "$call" >> "$CALLS"\n'
KUBECTL_ANSWERS = """
case "$*" in
  *"config current-context"*) echo "$CONTEXT" ;;
  *"get ingress"*) echo shopflow.localtest.me ;;
  *"create namespace"*) echo "{apiVersion: v1, kind: Namespace, metadata: {name: shopflow}}" ;;
  *"apply -f -"*) cat > /dev/null ;;
esac
"""
STAND_INS = {
    "docker": "",
    "kind": "",
    "minikube": 'case "$1" in status) exit 1 ;; esac\n',
    "kubectl": KUBECTL_ANSWERS,
    "helm": "",
    "shopflow-docker": "",
}
CONTEXTS = {"kind": "kind-shopflow", "minikube": "shopflow"}


def cluster_up(tmp_path: Path, cluster: str) -> list[list[str]]:
    """Run `cluster.sh <cluster> up` against the stand-ins; every call they received."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in STAND_INS.items():
        program = bin_dir / name
        program.write_text(f"#!/usr/bin/env bash\n{RECORD}{body}")
        program.chmod(program.stat().st_mode | stat.S_IXUSR)
    calls = tmp_path / "calls"
    environment = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "CALLS": str(calls),
        "CONTEXT": CONTEXTS[cluster],
        "HELM": str(bin_dir / "helm"),
        "SHOPFLOW_DOCKER": str(bin_dir / "shopflow-docker"),
    }
    result = subprocess.run(
        ["bash", str(SCRIPT), cluster, "up"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "ShopFlow is up" in result.stdout
    return [shlex.split(line) for line in calls.read_text().splitlines()]


def helm_install_args(calls: list[list[str]]) -> tuple[str, list[str]]:
    """The values file and `--set`s of the script's `helm upgrade --install`."""
    [install] = [c for c in calls if c[:4] == ["helm", "upgrade", "--install", "shopflow"]]
    files = [install[i + 1] for i, arg in enumerate(install) if arg == "-f"]
    sets = [install[i + 1] for i, arg in enumerate(install) if arg == "--set"]
    [values_file] = files
    return values_file, sets


@pytest.mark.parametrize("cluster", ["kind", "minikube"])
def test_the_cluster_runs_the_images_the_script_builds_and_loads(charts, tmp_path, cluster):
    calls = cluster_up(tmp_path, cluster)

    built = [c for c in calls if c[0] == "shopflow-docker"]
    assert built == [["shopflow-docker", "images", "--also-tag", "0.1.0"]]
    if cluster == "kind":
        loaded = {c[-1] for c in calls if c[:3] == ["kind", "load", "docker-image"]}
    else:
        loaded = {c[-1] for c in calls if c[0] == "minikube" and "image" in c and "load" in c}
    assert loaded == {f"shopflow/{unit.name}:0.1.0" for unit in units()}
    assert calls.index(built[0]) < min(i for i, c in enumerate(calls) if c[-1] in loaded), (
        "images loaded before they were built"
    )

    values_file, sets = helm_install_args(calls)
    assert Path(values_file) == charts.umbrella / f"values-{cluster}.yaml"
    rendered = charts.render(Path(values_file).name, *sets)
    app_containers = [
        container
        for obj in yaml.safe_load_all(rendered)
        if obj and obj["kind"] in ("Deployment", "StatefulSet", "Job")
        for container in obj["spec"]["template"]["spec"]["containers"]
        + obj["spec"]["template"]["spec"].get("initContainers", [])
        if container["image"].startswith("shopflow/")
    ]
    assert {c["image"] for c in app_containers} == loaded
    assert {c["imagePullPolicy"] for c in app_containers} <= {"IfNotPresent", "Never"}


@pytest.mark.parametrize("cluster", ["kind", "minikube"])
def test_the_namespace_enforces_the_restricted_standard_before_the_install(tmp_path, cluster):
    calls = cluster_up(tmp_path, cluster)

    [label] = [c for c in calls if c[0] == "kubectl" and "label" in c]
    assert "pod-security.kubernetes.io/enforce=restricted" in label
    install = next(
        i for i, c in enumerate(calls) if c[:4] == ["helm", "upgrade", "--install", "shopflow"]
    )
    assert calls.index(label) < install
    assert any(c[:2] == ["helm", "test"] for c in calls[install:])
