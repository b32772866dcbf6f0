"""JSON schemas of the Kubernetes API for kubeconform, offline and of the right version.

They are made from the OpenAPI document inside the `k8s.io/kubernetes` module the API
server is built from (deploy/tools/tools.toml), so the offline check and the real server
agree on what a Deployment is. The schemas are strict: a field the API does not know
(a misspelt `containerPorts`) is an error, as it would be dropped silently by a server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from shopflow_stack.config import cache_dir
from shopflow_stack.tools import GoTool, catalogue

DEFINITIONS = "_definitions.json"
OPENAPI = "api/openapi-spec/swagger.json"
# Not a tool, a source of data: the CustomResourceDefinitions of the Prometheus Operator.
PROMETHEUS_OPERATOR = GoTool(
    name="prometheus-operator",
    module="github.com/prometheus-operator/prometheus-operator",
    version="v0.85.0",
)
# The operator's kinds the charts render, by the plural its CRD file is named after.
OPERATOR_CRDS = ("servicemonitors", "prometheusrules")
# A quantity is a string in the document; the API server also takes a plain number (`cpu: 1`).
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"


def kubernetes_schemas() -> Path:
    """The folder of schemas for the catalogue's Kubernetes version (and the Prometheus
    Operator's ServiceMonitor and PrometheusRule), made once and cached. kubeconform reads
    them with `-schema-location '<folder>/{{ .ResourceKind }}{{ .KindSuffix }}.json'`."""
    tool = catalogue()["kube-apiserver"]
    crds = "-".join(OPERATOR_CRDS)
    name = f"kubernetes-schemas-{tool.version}-{PROMETHEUS_OPERATOR.version}-{crds}"
    folder = cache_dir() / "tools" / name
    if not (folder / DEFINITIONS).exists():
        document = json.loads((tool.source_dir() / OPENAPI).read_text())
        partial = folder.with_name(folder.name + ".partial")
        partial.mkdir(parents=True, exist_ok=True)
        write_schemas(document["definitions"], partial)
        for plural in OPERATOR_CRDS:
            write_crd_schema(operator_crd(plural), partial)
        partial.rename(folder)
    return folder


def operator_crd(plural: str) -> dict[str, Any]:
    """A CustomResourceDefinition of the Prometheus Operator (`servicemonitors`,
    `prometheusrules`), from its module: what its API server extension really accepts."""
    path = f"example/prometheus-operator-crd/monitoring.coreos.com_{plural}.yaml"
    crd: dict[str, Any] = yaml.safe_load((PROMETHEUS_OPERATOR.source_dir() / path).read_text())
    return crd


def write_crd_schema(crd: dict[str, Any], folder: Path) -> None:
    """A custom resource's schema per served version (`servicemonitor-monitoring-v1.json`)."""
    kind, group = crd["spec"]["names"]["kind"].lower(), crd["spec"]["group"]
    for version in crd["spec"]["versions"]:
        schema = _strict(version["schema"]["openAPIV3Schema"])
        name = f"{kind}-{group.split('.')[0]}-{version['name']}.json"
        (folder / name).write_text(json.dumps(schema))


def write_schemas(definitions: dict[str, Any], folder: Path) -> None:
    """One file per kind (`deployment-apps-v1.json`) referring to the strict definitions."""
    strict = {name: _strict(schema) for name, schema in definitions.items()}
    strict[QUANTITY] = {"type": ["string", "number", "null"]}
    (folder / DEFINITIONS).write_text(json.dumps({"definitions": strict}))
    for name, schema in definitions.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            kind, group, version = gvk["kind"].lower(), gvk["group"], gvk["version"]
            suffix = f"-{group.split('.')[0]}-{version}" if group else f"-{version}"
            reference = {"$ref": f"{DEFINITIONS}#/definitions/{name}"}
            (folder / f"{kind}{suffix}.json").write_text(json.dumps(reference))


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    if schema.get("format") == "int-or-string":
        return {"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}
    converted: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "description" or key.startswith("x-kubernetes-"):
            continue
        if key == "$ref":
            value = value.replace("#/definitions/", f"{DEFINITIONS}#/definitions/")
        elif key == "properties":
            value = {name: _strict(field) for name, field in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            value = _strict(value)
        elif key in ("allOf", "anyOf", "oneOf"):
            value = [_strict(option) for option in value]
        converted[key] = value
    if "properties" in converted and "additionalProperties" not in converted:
        converted["additionalProperties"] = False
    if isinstance(converted.get("type"), str):
        # YAML's empty values (`annotations:`) are null; the API server reads them as absent.
        converted["type"] = [converted["type"], "null"]
    return converted
