"""The Kubernetes driver, for a kind or minikube cluster the chart was installed on
(`make kind-up`): pods deleted by force, workloads scaled, through `kubectl`.

Not run on our machines (no cluster here: docs/chaos.md says what is proven where). The
load generator and the auditor reach the shop as for any deployment, through the
variables `Deployment.from_environment` reads; port-forward the gateway, the five
databases and Kafka and export them (docs/chaos.md has the commands). Toxiproxy is not
part of the chart, so edge drills are not run here, nor freezes (a container's PID 1 can
ignore SIGSTOP sent through the API, and there is no pause).

Workloads are named as the chart names them, `<release>-<unit>` (SHOPFLOW_RELEASE,
default `shopflow`, in SHOPFLOW_NAMESPACE, default `shopflow`); pods are found by the
chart's label `app.kubernetes.io/component=<unit>`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Sequence

from shopflow_drills.chaos.driver import Needs, UnsupportedError
from shopflow_drills.deployment import Deployment

READY_WITHIN = "300s"


class KubernetesDriver:
    name = "kubernetes"

    def __init__(self, namespace: str, release: str, kubectl: str = "kubectl") -> None:
        self.namespace = namespace
        self.release = release
        self.kubectl = kubectl
        self._pods: dict[str, list[str]] = {}
        self._scaled_to_zero: set[str] = set()

    @classmethod
    def from_environment(cls) -> KubernetesDriver:
        namespace = os.environ.get("SHOPFLOW_NAMESPACE", "shopflow")
        return cls(namespace, os.environ.get("SHOPFLOW_RELEASE", "shopflow"))

    async def prepare(self, needs: Needs) -> None:
        for unit, count in needs.replicas.items():
            await self._run("scale", self._workload(unit), f"--replicas={count}")
        for unit in needs.replicas:
            await self._run("rollout", "status", self._workload(unit), f"--timeout={READY_WITHIN}")
        if needs.edges:
            raise UnsupportedError(
                "the chart has no toxiproxy: edge drills run on local or compose"
            )

    def deployment(self) -> Deployment:
        return Deployment.from_environment(os.environ)

    def instances(self, target: str) -> list[str]:
        """The unit's pods now."""
        listed = subprocess.run(
            [self.kubectl, "--namespace", self.namespace, "get", "pods",
             "-l", f"app.kubernetes.io/component={target}",
             "-o", "jsonpath={.items[*].metadata.name}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        self._pods[target] = sorted(listed.split())
        return self._pods[target]

    async def kill(self, instance: str) -> None:
        """The pod deleted at once, no grace: its controller starts a new one."""
        await self._run("delete", "pod", instance, "--grace-period=0", "--force", "--wait=false")

    async def stop(self, instance: str) -> None:
        unit = self._unit_of(instance)
        await self._run("scale", self._workload(unit), "--replicas=0")
        self._scaled_to_zero.add(unit)

    async def start(self, instances: Sequence[str]) -> None:
        units = {self._unit_of(instance) for instance in instances}
        for unit in units & self._scaled_to_zero:
            await self._run("scale", self._workload(unit), "--replicas=1")
            self._scaled_to_zero.discard(unit)
        for unit in units:
            await self._run("rollout", "status", self._workload(unit), f"--timeout={READY_WITHIN}")

    async def freeze(self, instance: str) -> None:
        raise UnsupportedError(f"a pod cannot be paused ({instance}); freeze drills run elsewhere")

    async def thaw(self, instance: str) -> None:
        raise UnsupportedError(f"a pod cannot be paused ({instance})")

    def toxiproxy_url(self) -> str:
        raise UnsupportedError("the chart has no toxiproxy")

    def _unit_of(self, instance: str) -> str:
        for unit, pods in self._pods.items():
            if instance in pods:
                return unit
        return instance

    def _workload(self, unit: str) -> str:
        stateful = unit == "kafka" or unit.startswith("postgres-")
        return f"{'statefulset' if stateful else 'deployment'}/{self.release}-{unit}"

    async def _run(self, *args: str) -> str:
        process = await asyncio.create_subprocess_exec(
            self.kubectl, "--namespace", self.namespace, *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)}: {err.decode().strip()}")
        return out.decode()
