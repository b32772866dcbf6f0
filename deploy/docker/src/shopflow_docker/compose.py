"""The compose stack: docker-compose.yml at the root, with the images, overlays, project
name and published ports of this clone, and the commands that bring it up and down.

Published ports follow the local stack's (`SHOPFLOW_<NAME>_PORT`, `SHOPFLOW_PORT_OFFSET`),
and so does the project name: a clone with an offset runs `shopflow-<offset>`, so two
clones on one engine never share containers.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from shopflow_docker.engine import Engine
from shopflow_docker.images import DOCKER_DIR, OFFICIAL_PYTHON_IMAGE
from shopflow_docker.offline import OFFLINE_ENV, offline_images
from shopflow_stack.config import REPO_ROOT, StackConfig, env_name, port_override
from shopflow_stack.process import StackError

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
OVERLAYS = {
    # every service, database, Kafka and toxiproxy on 127.0.0.1 at the local stack's ports
    "expose": DOCKER_DIR / "compose.expose.yml",
    # the OpenTelemetry Collector, Jaeger and Prometheus (and Grafana, profile `grafana`)
    "observability": DOCKER_DIR / "compose.observability.yml",
}
Images = Literal["official", "offline"]
PROJECT_LABEL = "com.docker.compose.project"
# Grafana's host port: the local stack does not run it (AGPL), so compose says where.
GRAFANA_PORT = 3000
_IMAGE_VARIABLE = re.compile(r"\$\{(SHOPFLOW_\w+_IMAGE):-([^}]+)\}")


def images_choice() -> Images:
    """$SHOPFLOW_IMAGES: "official" (the default: pulled from their registries) or
    "offline" (the stand-ins `make images-offline` builds from Debian packages)."""
    chosen = os.environ.get("SHOPFLOW_IMAGES", "official")
    if chosen not in ("official", "offline"):
        raise StackError(f"SHOPFLOW_IMAGES must be 'official' or 'offline', not {chosen!r}")
    return cast(Images, chosen)


def overlays_choice() -> tuple[str, ...]:
    """$SHOPFLOW_COMPOSE_OVERLAYS: a comma-separated choice among OVERLAYS."""
    chosen = tuple(filter(None, os.environ.get("SHOPFLOW_COMPOSE_OVERLAYS", "").split(",")))
    unknown = set(chosen) - set(OVERLAYS)
    if unknown:
        raise StackError(f"unknown compose overlays {sorted(unknown)}; known: {sorted(OVERLAYS)}")
    return chosen


def images_for_tests() -> Images:
    """Tests run on what our machines can have, the stand-ins, unless SHOPFLOW_IMAGES=official."""
    return "official" if os.environ.get("SHOPFLOW_IMAGES") == "official" else "offline"


def infra_images(images: Images) -> dict[str, str]:
    """SHOPFLOW_<NAME>_IMAGE → the image compose runs: the environment's choice, else the
    stand-in (offline) or the compose file's default (official)."""
    defaults = dict(_IMAGE_VARIABLE.findall(COMPOSE_FILE.read_text()))
    chosen = offline_images() if images == "offline" else defaults
    return {name: os.environ.get(name, image) for name, image in chosen.items()}


def compose_service(name: str) -> dict[str, Any]:
    """A service of docker-compose.yml as written (anchors resolved, variables not)."""
    services: dict[str, dict[str, Any]] = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    return services[name]


def python_image(images: Images) -> str:
    """The base of ShopFlow's own images: $SHOPFLOW_PYTHON_IMAGE, else by `images`."""
    if os.environ.get("SHOPFLOW_PYTHON_IMAGE"):
        return os.environ["SHOPFLOW_PYTHON_IMAGE"]
    if images == "offline":
        return offline_images()["SHOPFLOW_PYTHON_IMAGE"]
    return OFFICIAL_PYTHON_IMAGE


def default_project() -> str:
    offset = int(os.environ.get("SHOPFLOW_PORT_OFFSET", "0"))
    return "shopflow" if offset == 0 else f"shopflow-{offset}"


@dataclass(frozen=True)
class ComposeStack:
    engine: Engine
    stack: StackConfig  # the local stack's configuration: its ports are the published ones
    project: str = field(default_factory=default_project)
    images: Images = "official"
    overlays: tuple[str, ...] = ()
    image_tag: str = "dev"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self._port('gateway')}"

    @property
    def jaeger_url(self) -> str:
        """Jaeger's query API and UI (the observability overlay)."""
        return f"http://127.0.0.1:{self._port('jaeger')}"

    @property
    def prometheus_url(self) -> str:
        """Prometheus (the observability overlay)."""
        return f"http://127.0.0.1:{self._port('prometheus')}"

    def files(self) -> list[Path]:
        return [COMPOSE_FILE, *(OVERLAYS[overlay] for overlay in self.overlays)]

    def image_variables(self) -> set[str]:
        """The SHOPFLOW_<NAME>_IMAGE variables of the compose files this stack runs."""
        return {
            name for path in self.files() for name, _ in _IMAGE_VARIABLE.findall(path.read_text())
        }

    def command(self, *args: str) -> list[str]:
        argv = [*self.engine.compose, "--project-name", self.project]
        argv += ["--project-directory", str(REPO_ROOT)]
        for path in self.files():
            argv += ["-f", str(path)]
        if self.images == "offline":
            argv += ["--env-file", str(OFFLINE_ENV)]
        return [*argv, *args]

    def environment(self) -> dict[str, str]:
        """What the compose files read: the image tag and the ports to publish (every
        overlay's: a variable no file reads is harmless)."""
        env = {"SHOPFLOW_IMAGE_TAG": self.image_tag}
        names = ["gateway", "kafka", "redis", "toxiproxy", "jaeger", "prometheus", "grafana"]
        names += [p.name for p in self.stack.postgres] + [app.name for app in self.stack.apps]
        for name in names:
            env[f"SHOPFLOW_{env_name(name)}_PORT"] = str(self._port(name))
        return env

    def run(
        self, *args: str, capture: bool = False, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self.command(*args),
            env={**os.environ, **self.environment()},
            capture_output=capture,
            text=True,
        )
        if check and result.returncode != 0:
            detail = f":\n{result.stderr[-3000:]}" if capture else ""
            raise StackError(f"`docker compose {' '.join(args)}` failed{detail}")
        return result

    def up(self, timeout: float = 300, quiet: bool = False) -> float:
        """Start (or update) the stack and wait until every service is healthy and every
        job done; returns the seconds it took. `quiet` keeps compose's progress to itself."""
        began = time.monotonic()
        pull = "never" if self.images == "offline" else "missing"
        self.run(
            "up", "--detach", "--wait", "--wait-timeout", str(int(timeout)),
            "--no-build", "--pull", pull, "--remove-orphans",
            capture=quiet,
        )  # fmt: skip
        return time.monotonic() - began

    def down(self, quiet: bool = False) -> list[str]:
        """Remove the stack's containers, networks and volumes, whichever overlays and
        profiles it was started with; returns what is left."""
        everything = replace(self, overlays=tuple(OVERLAYS))
        everything.run(
            "--profile", "*", "down", "--volumes", "--remove-orphans", "--timeout", "20",
            capture=quiet,
        )  # fmt: skip
        return self.leftovers()

    def leftovers(self) -> list[str]:
        """Every container, network and volume still labelled with this project."""
        label = f"label={PROJECT_LABEL}={self.project}"
        found = []
        for kind, listing in (
            ("container", ["ps", "--all"]),
            ("network", ["network", "ls"]),
            ("volume", ["volume", "ls"]),
        ):
            template = "{{.Names}}" if kind == "container" else "{{.Name}}"
            listed = self.engine.docker_run(*listing, "--filter", label, "--format", template)
            found += [f"{kind} {name}" for name in listed.stdout.split()]
        return found

    def memory(self) -> dict[str, int]:
        """Each running container's memory use, in bytes, by service."""
        listed = self.run("ps", "--format", "json", capture=True).stdout
        containers = [json.loads(line) for line in listed.splitlines() if line.strip()]
        if not containers:
            return {}
        stats = self.engine.docker_run(
            "stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}",
            *(c["Name"] for c in containers),
        ).stdout  # fmt: skip
        by_name = {c["Name"]: c["Service"] for c in containers}
        usage = {}
        for line in stats.splitlines():
            name, used = line.split("\t")
            usage[by_name[name]] = _bytes(used.split("/")[0].strip())
        return usage

    def _port(self, name: str) -> int:
        """The host port of `name`: the local stack's, moved by the same variables."""
        if name == "grafana":  # not a process of the local stack; moved the same way
            return port_override("grafana", GRAFANA_PORT)
        observability = self.stack.observability
        ports = {"kafka": self.stack.kafka.port, "redis": self.stack.redis_port}
        ports["toxiproxy"] = self.stack.toxiproxy.api_port  # its API
        ports |= {"jaeger": observability.jaeger_port, "prometheus": observability.prometheus_port}
        ports |= {pg.name: pg.port for pg in self.stack.postgres}
        ports |= {app.name: app.port for app in self.stack.apps}
        return ports[name]


_UNITS = {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "kB": 10**3, "MB": 10**6, "GB": 10**9, "B": 1}


def _bytes(text: str) -> int:
    """`docker stats`' "123.4MiB" as a number of bytes."""
    for unit, factor in _UNITS.items():  # longest suffixes first: "B" ends them all
        if text.endswith(unit):
            return int(float(text.removesuffix(unit)) * factor)
    raise StackError(f"cannot read the memory figure {text!r}")


def print_memory(usage: dict[str, int]) -> None:
    for service, used in sorted(usage.items(), key=lambda u: -u[1]):
        print(f"  {service:<28} {used / 2**20:7.1f} MiB")
    print(f"  {'total':<28} {sum(usage.values()) / 2**20:7.1f} MiB")
