"""The Helm charts under helm/, checked the way `make test` checks them.

`Charts(folder)` builds the umbrella's dependencies, lints, renders, validates the
rendering against the Kubernetes schemas (kubeconform, strict) and scores it against
the policy (kube-score, exceptions only where the values name and justify them). Each
check returns what it found, so a test asserts on it and a mutated copy of the charts
can show that the check fails.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shopflow_stack.config import REPO_ROOT
from shopflow_stack.kube_schemas import kubernetes_schemas
from shopflow_stack.tools import ensure_tool

HELM_DIR = REPO_ROOT / "helm"
UMBRELLA = "shopflow"
SERVICE_CHARTS = ("gateway", "order", "inventory", "payment", "notification", "payment-provider")
# The values files users install with (helm/shopflow/values-*.yaml); "" is the defaults alone.
VALUES_FILES = ("", "values-kind.yaml", "values-minikube.yaml", "values-multinode.yaml")
# kube-score's optional checks that fit every pod of ours (requests = limits does not:
# the services are burstable on purpose).
OPTIONAL_CHECKS = ("container-seccomp-profile", "container-ports-check")


@dataclass(frozen=True)
class Charts:
    folder: Path = HELM_DIR

    @property
    def umbrella(self) -> Path:
        return self.folder / UMBRELLA

    def build_dependencies(self) -> None:
        """Package the library into each service chart, then every chart into the umbrella."""
        for chart in (*SERVICE_CHARTS, UMBRELLA):
            self.helm("dependency", "build", str(self.folder / chart))

    def values_args(self, values_file: str, *overrides: str) -> list[str]:
        files = ["-f", str(self.umbrella / values_file)] if values_file else []
        return [*files, *(arg for override in overrides for arg in ("--set", override))]

    def lint(self, values_file: str, *overrides: str) -> subprocess.CompletedProcess[str]:
        args = self.values_args(values_file, *overrides)
        return self.helm("lint", "--strict", str(self.umbrella), *args, check=False)

    def render(self, values_file: str, *overrides: str, namespace: str = "shopflow") -> str:
        args = self.values_args(values_file, *overrides)
        release = self.helm("template", UMBRELLA, str(self.umbrella), "-n", namespace, *args)
        return release.stdout

    def helm(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(ensure_tool("helm")), *args], capture_output=True, text=True, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"helm {' '.join(args)} failed:\n{result.stderr}")
        return result


def schema_errors(rendered: str) -> list[str]:
    """What kubeconform finds wrong in `rendered`, strictly, against the API's schemas."""
    return schema_errors_of({"rendering": rendered})["rendering"]


def schema_errors_of(renderings: Mapping[str, str]) -> dict[str, list[str]]:
    """`schema_errors` for several renderings at once: kubeconform compiles the API's
    schemas once per run, which takes longer than checking a rendering."""
    location = f"{kubernetes_schemas()}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json"
    with tempfile.TemporaryDirectory(prefix="renderings-") as folder:
        files = {}
        for index, (name, rendered) in enumerate(renderings.items()):
            files[name] = Path(folder) / f"{index}.yaml"
            files[name].write_text(rendered)
        result = subprocess.run(
            [
                str(ensure_tool("kubeconform")),
                *("-strict", "-summary", "-n", "2", "-schema-location", location),
                *map(str, files.values()),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode not in (0, 1) or (result.returncode == 1 and not result.stdout):
        raise AssertionError(f"kubeconform failed ({result.returncode}): {result.stderr}")
    lines = [line for line in result.stdout.splitlines() if not line.startswith("Summary")]
    return {
        name: [line for line in lines if line.startswith(str(file))] for name, file in files.items()
    }


def policy_findings(rendered: str) -> list[str]:
    """kube-score's warnings and criticals for `rendered` (checks the values excuse are skipped)."""
    optional = [arg for check in OPTIONAL_CHECKS for arg in ("--enable-optional-test", check)]
    result = subprocess.run(
        [str(ensure_tool("kube-score")), "score", "--output-format", "ci", *optional, "-"],
        input=rendered,
        capture_output=True,
        text=True,
        check=False,
    )
    findings = [
        line for line in result.stdout.splitlines() if line.startswith(("[WARNING]", "[CRITICAL]"))
    ]
    if result.returncode not in (0, 1) or (result.returncode == 1 and not findings):
        return [f"kube-score failed ({result.returncode}): {result.stderr}"]
    return findings
