"""The Docker engine the containers run on: a daemon that answers, a docker CLI that builds
with BuildKit, and Compose v2.

`find_engine()` only looks and says why not; `ensure_engine()` installs and starts what is
missing where it can (root on Debian: `docker.io`, its `dockerd`, and the compose plugin
built from its Go module by deploy/tools).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from shopflow_stack.install import apt_install
from shopflow_stack.process import StackError
from shopflow_stack.tools import catalogue, ensure_tool

COMPOSE_TOOL = "docker-compose"
# Debian's own CLI (docker.io) has BuildKit built in; a newer CLI first on PATH may not.
DEBIAN_DOCKER = "/usr/bin/docker"
DOCKERD_LOG = Path("/var/log/shopflow-dockerd.log")
_DAEMON_TIMEOUT = 60.0


class NoEngineError(StackError):
    """No usable Docker engine here; the message says what is missing and how to get it."""


@dataclass(frozen=True)
class Engine:
    docker: str  # a docker CLI that reaches the daemon and builds with BuildKit
    compose: tuple[str, ...]  # how to run Compose v2: (docker, "compose") or the plugin itself
    server_version: str

    def docker_run(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`docker ARGS`, output captured; a failure raises with docker's own words."""
        result = subprocess.run(
            [self.docker, *args],
            capture_output=True,
            text=True,
            env={**os.environ, "DOCKER_BUILDKIT": "1", **(env or {})},
        )
        if check and result.returncode != 0:
            raise StackError(f"`docker {' '.join(args)}` failed:\n{result.stderr[-3000:]}")
        return result

    def describe(self) -> str:
        compose = " ".join(self.compose)
        return f"Docker engine {self.server_version}; CLI {self.docker}; compose: {compose}"


def find_engine(build_compose: bool = False) -> Engine:
    """The engine to use, or NoEngineError saying why there is none. The compose plugin is
    built from source only when `build_compose` (a first build takes minutes)."""
    reachable = [cli for cli in _docker_clis() if _server_version(cli)]
    if not reachable:
        raise NoEngineError(
            "no Docker engine answers (as root on Debian, `make docker-engine` installs and "
            "starts one)"
        )
    builders = [cli for cli in reachable if _builds_with_buildkit(cli)]
    if not builders:
        raise NoEngineError(
            f"the docker CLI ({reachable[0]}) cannot build with BuildKit: install its buildx "
            "plugin (docker-buildx-plugin), or Debian's docker.io"
        )
    docker = builders[0]
    return Engine(docker, _compose(docker, build_compose), _server_version(docker) or "")


def ensure_engine() -> Engine:
    """An engine, installed and started first where this machine allows it."""
    try:
        engine = find_engine(build_compose=True)
    except NoEngineError:
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            raise
        if not Path("/usr/sbin/dockerd").exists() or not Path(DEBIAN_DOCKER).exists():
            apt_install("docker.io")
        if not any(_server_version(cli) for cli in _docker_clis()):
            _start_dockerd()
        engine = find_engine(build_compose=True)
    if engine.compose[-1] != "compose":  # so that `docker compose` works for the user too
        _install_compose_plugin()
        engine = find_engine()
    return engine


def _docker_clis() -> list[str]:
    candidates = [shutil.which("docker"), DEBIAN_DOCKER]
    found = [c for c in candidates if c and Path(c).exists()]
    return list(dict.fromkeys(os.path.realpath(c) for c in found))


def _server_version(docker: str) -> str | None:
    try:
        result = subprocess.run(
            [docker, "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            text=True,
            timeout=15,
        )
    except subprocess.TimeoutExpired:
        return None
    version = result.stdout.strip()
    return version if result.returncode == 0 and version else None


def _builds_with_buildkit(docker: str) -> bool:
    # Before 23.0 the CLI had BuildKit built in; since, `docker build` needs buildx for it.
    buildx = subprocess.run([docker, "buildx", "version"], capture_output=True, text=True)
    if buildx.returncode == 0:
        return True
    client = subprocess.run(
        [docker, "version", "--format", "{{.Client.Version}}"], capture_output=True, text=True
    )
    major = client.stdout.strip().split(".", 1)[0]
    return major.isdigit() and int(major) < 23


def _compose(docker: str, build: bool) -> tuple[str, ...]:
    plugin = subprocess.run([docker, "compose", "version"], capture_output=True, text=True)
    if plugin.returncode == 0:
        return (docker, "compose")
    if not catalogue()[COMPOSE_TOOL].path.exists() and not build:
        raise NoEngineError(
            "Docker Compose v2 is missing: `make docker-engine` builds and installs it "
            "(or install your distribution's docker-compose-plugin)"
        )
    return (str(compose_tool()),)


def compose_tool() -> Path:
    """Compose v2 as deploy/tools builds it: `config` needs no engine, only this binary."""
    try:
        return ensure_tool(COMPOSE_TOOL)
    except StackError as error:
        raise NoEngineError(f"Docker Compose v2 is missing and cannot be built: {error}") from error


def _start_dockerd() -> None:
    if Path("/run/systemd/system").exists():  # systemd runs the machine: let it run docker
        subprocess.run(["systemctl", "start", "docker"], check=True)
    else:
        print(f"starting dockerd (log: {DOCKERD_LOG}) ...", flush=True)
        with DOCKERD_LOG.open("ab") as log:
            subprocess.Popen(
                ["/usr/sbin/dockerd"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # outlives make; stopped like any system daemon
            )
    deadline = time.monotonic() + _DAEMON_TIMEOUT
    while not _server_version(DEBIAN_DOCKER):
        if time.monotonic() > deadline:
            raise NoEngineError(
                f"dockerd did not answer within {_DAEMON_TIMEOUT:.0f}s; see {DOCKERD_LOG}"
            )
        time.sleep(0.5)


def _install_compose_plugin() -> None:
    """Where every docker CLI looks for plugins: system-wide as root, else the user's."""
    folder = (
        Path("/usr/local/lib/docker/cli-plugins")
        if os.geteuid() == 0
        else Path.home() / ".docker" / "cli-plugins"
    )
    built = compose_tool()
    target = folder / COMPOSE_TOOL
    if target.exists() and target.read_bytes() == built.read_bytes():
        return
    folder.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    shutil.copy2(built, partial)
    partial.replace(target)
    print(f"installed the compose plugin: {target}", flush=True)
