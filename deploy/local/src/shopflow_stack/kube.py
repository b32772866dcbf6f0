"""A throwaway Kubernetes control plane as local processes, for testing the Helm charts.

etcd, kube-apiserver, kube-controller-manager and kube-scheduler (built from their Go
modules by deploy/tools) are the real thing: the API server validates and admits every
object (Pod Security included), the controllers turn Deployments into pods, Jobs into
completions and claims into bound volumes, the scheduler places pods on nodes. kwok plays
the kubelets: it keeps fake nodes alive and moves each scheduled pod to Running and Ready
(a Job's pod to Succeeded) without running a container. So a chart installed here is
accepted, scheduled and rolled out as on a cluster; whether its images start is not tested.
"""

from __future__ import annotations

import json
import secrets
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopflow_stack.process import StackError, port_is_free
from shopflow_stack.tools import catalogue, ensure_tool

# kwok's own stages (from the module the kwok binary is built from): fake nodes that
# initialise and keep their lease, pods that become ready, Jobs' pods that complete.
KWOK_STAGES = (
    "kustomize/stage/node/fast/node-initialize.yaml",
    "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "kustomize/stage/pod/fast/pod-ready.yaml",
    "kustomize/stage/pod/fast/pod-complete.yaml",
    "kustomize/stage/pod/fast/pod-delete.yaml",
)
FAKE_NODE = {"kwok.x-k8s.io/node": "fake"}
ZONES = ("zone-a", "zone-b", "zone-c")
# What each fake node offers the scheduler: ample, but the pods' requests are counted.
CAPACITY = {"cpu": "32", "memory": "256Gi", "ephemeral-storage": "500Gi", "pods": "110"}


@dataclass
class ControlPlane:
    """A running control plane: its API at `server`, `kubeconfig` for helm and friends."""

    folder: Path
    server: str
    token: str
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def kubeconfig(self) -> Path:
        return self.folder / "kubeconfig"

    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, merge: bool = False
    ) -> Any:
        """One call to the API; the decoded JSON answer. Raises urllib's HTTPError.
        `merge`: the body is a JSON merge patch."""
        return json.loads(self.raw(method, path, body, merge=merge) or b"null")

    def raw(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, merge: bool = False
    ) -> bytes:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.server + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        content_type = "application/merge-patch+json" if merge else "application/json"
        request.add_header("Content-Type", content_type)
        with urllib.request.urlopen(request, context=_unverified(), timeout=30) as response:
            body_bytes: bytes = response.read()
            return body_bytes

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def create(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("POST", path, body)

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            with suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def control_plane(folder: Path, base_port: int, nodes: int = 3) -> Iterator[ControlPlane]:
    """Start etcd, the API server, controllers, scheduler and kwok with `nodes` fake nodes
    (spread over three zones) and a default StorageClass with volumes to bind; stop them
    all on exit. Ports: base_port (etcd), +1 (etcd peers), +2 (the API), +3 (kwok)."""
    folder.mkdir(parents=True, exist_ok=True)
    for port in range(base_port, base_port + 4):
        if not port_is_free(port):
            raise StackError(f"port {port} is taken: another control plane is running?")
    binaries = {name: ensure_tool(name) for name in _COMPONENTS}
    plane = ControlPlane(folder, f"https://127.0.0.1:{base_port + 2}", secrets.token_hex(16))
    _write_credentials(plane)
    try:
        _start(plane, "etcd", _etcd_args(binaries["etcd"], folder, base_port))
        apiserver = _apiserver_args(binaries["kube-apiserver"], plane, base_port)
        _start(plane, "kube-apiserver", apiserver)
        _wait_for(plane, "/readyz", "kube-apiserver", timeout=120)
        _start(plane, "kube-controller-manager", _controller_manager_args(binaries, plane))
        _start(plane, "kube-scheduler", _scheduler_args(binaries, plane))
        _write_kwok_config(folder)
        _start(plane, "kwok", _kwok_args(binaries["kwok"], plane, base_port))
        _add_nodes(plane, nodes)
        _add_storage(plane, volumes=48)
        yield plane
    finally:
        plane.stop()


_COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


def _write_credentials(plane: ControlPlane) -> None:
    folder = plane.folder
    # One administrator (system:masters) for helm, the controllers, the scheduler and kwok.
    (folder / "tokens.csv").write_text(f"{plane.token},admin,admin,system:masters\n")
    key = folder / "service-account.key"
    if not key.exists():
        subprocess.run(
            ["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True
        )
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "kwok", "cluster": {"server": plane.server, "insecure-skip-tls-verify": True}}
        ],
        "users": [{"name": "admin", "user": {"token": plane.token}}],
        "contexts": [{"name": "kwok", "context": {"cluster": "kwok", "user": "admin"}}],
        "current-context": "kwok",
    }
    plane.kubeconfig.write_text(json.dumps(kubeconfig))
    plane.kubeconfig.chmod(0o600)


def _etcd_args(etcd: Path, folder: Path, port: int) -> list[str]:
    return [
        str(etcd),
        f"--data-dir={folder / 'etcd'}",
        f"--listen-client-urls=http://127.0.0.1:{port}",
        f"--advertise-client-urls=http://127.0.0.1:{port}",
        f"--listen-peer-urls=http://127.0.0.1:{port + 1}",
        f"--initial-advertise-peer-urls=http://127.0.0.1:{port + 1}",
        f"--initial-cluster=default=http://127.0.0.1:{port + 1}",
        "--unsafe-no-fsync",  # a test cluster: speed over durability
        "--log-level=warn",
    ]


def _apiserver_args(apiserver: Path, plane: ControlPlane, base_port: int) -> list[str]:
    folder = plane.folder
    key = folder / "service-account.key"
    return [
        str(apiserver),
        f"--etcd-servers=http://127.0.0.1:{base_port}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={base_port + 2}",
        f"--cert-dir={folder / 'certs'}",
        f"--token-auth-file={folder / 'tokens.csv'}",
        "--authorization-mode=RBAC",
        f"--service-account-key-file={key}",
        f"--service-account-signing-key-file={key}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--service-cluster-ip-range=10.96.0.0/16",
        # No kubelets to reach and no real endpoints for the `kubernetes` Service.
        "--endpoint-reconciler-type=none",
        "--enable-priority-and-fairness=false",
    ]


def _controller_manager_args(binaries: dict[str, Path], plane: ControlPlane) -> list[str]:
    return [
        str(binaries["kube-controller-manager"]),
        f"--kubeconfig={plane.kubeconfig}",
        "--leader-elect=false",
        "--secure-port=0",
        "--use-service-account-credentials=false",
        f"--service-account-private-key-file={plane.folder / 'service-account.key'}",
        f"--root-ca-file={plane.folder / 'certs' / 'apiserver.crt'}",
        "--kube-api-qps=500",
        "--kube-api-burst=1000",
    ]


def _scheduler_args(binaries: dict[str, Path], plane: ControlPlane) -> list[str]:
    return [
        str(binaries["kube-scheduler"]),
        f"--kubeconfig={plane.kubeconfig}",
        "--leader-elect=false",
        "--secure-port=0",
    ]


def _kwok_args(kwok: Path, plane: ControlPlane, base_port: int) -> list[str]:
    return [
        str(kwok),
        f"--kubeconfig={plane.kubeconfig}",
        f"--config={plane.folder / 'kwok.yaml'}",
        "--manage-all-nodes=false",
        "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
        "--node-lease-duration-seconds=40",
        "--cidr=10.244.0.1/16",
        "--node-ip=127.0.0.1",
        f"--server-address=127.0.0.1:{base_port + 3}",
    ]


def _write_kwok_config(folder: Path) -> None:
    module = catalogue()["kwok"].source_dir()
    stages = [(module / stage).read_text() for stage in KWOK_STAGES]
    (folder / "kwok.yaml").write_text("\n---\n".join(stages))


def _start(plane: ControlPlane, name: str, argv: list[str]) -> None:
    log = (plane.folder / f"{name}.log").open("wb")
    plane.processes[name] = subprocess.Popen(
        argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )


def _wait_for(plane: ControlPlane, path: str, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        for component, process in plane.processes.items():
            if process.poll() is not None:
                raise StackError(
                    f"{component} exited with {process.returncode}:\n{plane.log(component)[-3000:]}"
                )
        try:
            plane.raw("GET", path)  # 200 "ok" once every check of the server passes
            return
        except (urllib.error.URLError, ConnectionError) as error:
            if time.monotonic() > deadline:
                log = plane.log(name)[-3000:]
                raise StackError(f"{name} not ready after {timeout}s:\n{log}") from error
            time.sleep(0.5)


def _add_nodes(plane: ControlPlane, count: int) -> None:
    for index in range(count):
        name = f"kwok-node-{index}"
        plane.create(
            "/api/v1/nodes",
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": name,
                    "annotations": {**FAKE_NODE, "node.alpha.kubernetes.io/ttl": "0"},
                    "labels": {
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                        "topology.kubernetes.io/zone": ZONES[index % len(ZONES)],
                        "type": "kwok",
                    },
                },
                "status": {
                    "allocatable": CAPACITY,
                    "capacity": CAPACITY,
                },
            },
        )


def _add_storage(plane: ControlPlane, volumes: int) -> None:
    """A default StorageClass "standard" (kind's and minikube's name) with static volumes:
    the PersistentVolume controller binds the charts' claims to them, as a provisioner would."""
    plane.create(
        "/apis/storage.k8s.io/v1/storageclasses",
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {
                "name": "standard",
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            },
            "provisioner": "kubernetes.io/no-provisioner",
            "volumeBindingMode": "Immediate",
        },
    )
    for index in range(volumes):
        plane.create(
            "/api/v1/persistentvolumes",
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": f"volume-{index}"},
                "spec": {
                    "capacity": {"storage": "100Gi"},
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": "standard",
                    "persistentVolumeReclaimPolicy": "Retain",
                    "hostPath": {"path": f"/tmp/kwok-volume-{index}"},
                },
            },
        )


def _unverified() -> ssl.SSLContext:
    # The API server's certificate is the self-signed one it made for itself at start.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
