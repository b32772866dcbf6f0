"""ShopFlow's own images, `shopflow/<unit>`, built from deploy/docker/Dockerfile only when
what goes into them changed.

Each unit's image is tagged with a key of its inputs: the packages it installs as uv.lock
pins them, the code of the workspace members among them (the unit and the libraries it
depends on), the Dockerfile and the base image. A key already built is not built again: a
warm run costs a hash of the sources and one `docker image inspect` per unit. The six
images are also tagged with one key of the set, which the compose stack runs
(`SHOPFLOW_IMAGE_TAG`), so two clones building different code on one engine never run
each other's images.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import tomllib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shopflow_docker.engine import Engine
from shopflow_stack.config import REPO_ROOT, STACK_FILE, StackConfig
from shopflow_stack.process import StackError

DOCKER_DIR = REPO_ROOT / "deploy" / "docker"
DOCKERFILE = DOCKER_DIR / "Dockerfile"
# Every file that shapes an image besides the members' code.
BUILD_FILES = (
    DOCKERFILE,
    REPO_ROOT / ".dockerignore",
    DOCKER_DIR / "shopflow-service",
)
OFFICIAL_PYTHON_IMAGE = "python:3.12-slim-bookworm"
CA_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")
KEEP_BUILDS = 3  # older keyed tags of a unit are removed
_SKIPPED_PARTS = {"tests", "__pycache__", ".venv", ".mypy_cache", ".pytest_cache"}
_PARALLEL_BUILDS = 2


@dataclass(frozen=True)
class Unit:
    """A deployable unit of the shop: a service, the gateway or the provider simulator."""

    name: str
    env_prefix: str
    port: int

    @property
    def repository(self) -> str:
        return f"shopflow/{self.name}"

    @property
    def package(self) -> str:
        return f"shopflow-{self.name}"


def units() -> tuple[Unit, ...]:
    """The units the local stack runs are the units that get an image, each listening on its
    default port (as written in stack.toml: an image does not move with SHOPFLOW_PORT_*)."""
    apps = tomllib.loads(STACK_FILE.read_text()).get("apps", [])
    return tuple(Unit(app["name"], app["env_prefix"], app["port"]) for app in apps)


@dataclass(frozen=True)
class BuiltImages:
    tag: str  # every unit's image carries it: shopflow/<unit>:<tag>
    built: tuple[str, ...]  # the units built this time (the others were current)
    seconds: float


def build_images(
    engine: Engine, stack: StackConfig, base_image: str, *, also_tag: str | None = None
) -> BuiltImages:
    """Build the images whose inputs changed; tag all of them with the set's key (and
    `also_tag`, e.g. "dev", if given)."""
    began = time.monotonic()
    keys = _unit_keys(engine, base_image)
    missing = [
        unit for unit, key in keys.items() if not _image_id(engine, f"{unit.repository}:{key}")
    ]
    log_dir = stack.state_dir / "logs" / "images"
    log_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(_PARALLEL_BUILDS) as pool:
        list(pool.map(lambda u: _build(engine, u, keys[u], base_image, log_dir), missing))
    set_tag = _set_tag(keys)
    for unit, key in keys.items():
        for tag in (set_tag, also_tag):
            if tag:
                engine.docker_run("tag", f"{unit.repository}:{key}", f"{unit.repository}:{tag}")
        _prune(engine, unit, keep={key, set_tag, also_tag or ""})
    return BuiltImages(set_tag, tuple(u.name for u in missing), time.monotonic() - began)


def current_tag(engine: Engine, base_image: str) -> str:
    """The tag `build_images` gives the images of the code as it is now (builds nothing)."""
    return _set_tag(_unit_keys(engine, base_image))


def _unit_keys(engine: Engine, base_image: str) -> dict[Unit, str]:
    base_id = _image_id(engine, base_image) or base_image
    return {unit: unit_key(unit, base_image, base_id) for unit in units()}


def _set_tag(keys: dict[Unit, str]) -> str:
    return digest(sorted(f"{unit.name}={key}" for unit, key in keys.items()))


def unit_key(unit: Unit, base_image: str, base_id: str) -> str:
    """A digest of everything that goes into `unit`'s image: the build files, the locked
    packages it installs (not the whole lock: a tool added to the dev group rebuilds
    nothing) and the files of the workspace members among them."""
    locked = locked_closure(unit.package)
    files = list(BUILD_FILES)
    for entry in locked:
        member = entry["source"].get("editable") or entry["source"].get("virtual")
        if member:
            files.extend(_member_files(REPO_ROOT / member))
    workspace = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["uv"]
    parts = [
        f"base={base_image}@{base_id}",
        f"unit={unit.name},{unit.env_prefix},{unit.port}",
        f"uv={json.dumps(workspace, sort_keys=True)}",
        *(json.dumps(entry, sort_keys=True) for entry in locked),
    ]
    for path in sorted(set(files)):
        digest_of_file = hashlib.sha256(path.read_bytes()).hexdigest()
        parts.append(f"{path.relative_to(REPO_ROOT)}:{digest_of_file}")
    return digest(parts)


def locked_closure(package: str) -> list[dict[str, Any]]:
    """The uv.lock entries of `package` and of everything it installs (no dev groups),
    workspace members included, in a stable order."""
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    entries = {entry["name"]: entry for entry in lock["package"]}
    if package not in entries:
        raise StackError(f"{package} is not in uv.lock")
    seen: dict[str, dict[str, Any]] = {}
    todo: list[tuple[str, tuple[str, ...]]] = [(package, ())]
    while todo:
        name, extras = todo.pop()
        entry = entries[name]
        key = f"{name}[{','.join(sorted(extras))}]"
        if key in seen:
            continue
        seen[key] = entry
        wanted = list(entry.get("dependencies", []))
        for extra in extras:
            wanted += entry.get("optional-dependencies", {}).get(extra, [])
        todo.extend((d["name"], tuple(d.get("extra", ()))) for d in wanted)
    return [seen[key] for key in sorted(seen)]


def ca_bundle() -> str | None:
    """The CA bundle handed to builds as the secret `ca-bundle`: $SHOPFLOW_BUILD_CA_BUNDLE
    ("none" for no bundle), else this machine's system bundle."""
    chosen = os.environ.get("SHOPFLOW_BUILD_CA_BUNDLE")
    if chosen == "none":
        return None
    if chosen:
        if not Path(chosen).is_file():
            raise StackError(f"SHOPFLOW_BUILD_CA_BUNDLE={chosen} is not a file")
        return chosen
    return next((path for path in CA_BUNDLES if Path(path).is_file()), None)


def build_arguments(build_args: dict[str, str]) -> list[str]:
    """`docker build` flags for these build arguments and the CA bundle secret."""
    flags = [f for name, value in build_args.items() for f in ("--build-arg", f"{name}={value}")]
    bundle = ca_bundle()
    if bundle:
        flags += ["--secret", f"id=ca-bundle,src={bundle}"]
    return flags


def _build(engine: Engine, unit: Unit, key: str, base_image: str, log_dir: Path) -> None:
    args = {
        "BASE_IMAGE": base_image,
        "SERVICE": unit.name,
        "ENV_PREFIX": unit.env_prefix,
        "PORT": str(unit.port),
    }
    image = f"{unit.repository}:{key}"
    print(f"building {image} ...", flush=True)
    began = time.monotonic()
    log = log_dir / f"{unit.name}.log"
    result = engine.docker_run(
        "build", "--progress=plain", "-f", str(DOCKERFILE), "-t", image,
        "--label", f"org.shopflow.content-key={key}",
        *build_arguments(args), str(REPO_ROOT),
        check=False,
    )  # fmt: skip
    log.write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        raise StackError(f"building {image} failed (log: {log}):\n{result.stderr[-3000:]}")
    print(f"built {image} in {time.monotonic() - began:.0f}s", flush=True)


def _prune(engine: Engine, unit: Unit, keep: set[str]) -> None:
    """Remove the tags of `unit` beyond those in `keep` and the newest few builds' (a unit
    key and a set key each)."""
    listed = engine.docker_run(
        "image", "ls", unit.repository, "--format", "{{.CreatedAt}}\t{{.Tag}}"
    ).stdout.splitlines()
    newest_first = [line.split("\t")[1] for line in sorted(listed, reverse=True)]
    stale = [tag for tag in newest_first if tag not in keep][2 * KEEP_BUILDS :]
    for tag in stale:
        # A tag a container still runs stays; it goes on a later build.
        engine.docker_run("image", "rm", f"{unit.repository}:{tag}", check=False)


def _image_id(engine: Engine, image: str) -> str | None:
    result = engine.docker_run("image", "inspect", "--format", "{{.Id}}", image, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def _member_files(folder: Path) -> Iterable[Path]:
    for path in folder.rglob("*"):
        if (
            path.is_file()
            and not _SKIPPED_PARTS & set(path.relative_to(folder).parts)
            and path.suffix != ".pyc"
        ):
            yield path


def digest(parts: Iterable[str]) -> str:
    """A short, stable name for a list of facts: the content keys of images."""
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]
