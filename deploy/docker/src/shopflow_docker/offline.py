"""Stand-ins for the official infrastructure images, for machines that cannot pull them.

Each is built from Debian packages on a Debian root file system that `debootstrap` makes
from the same package mirror apt uses, imported with `docker import`; the Kafka one adds
the jars the local stack fetches from Maven Central, the toxiproxy and Jaeger ones the
binaries deploy/tools builds. Their names are deploy/docker/offline.env, which compose reads in
place of the official defaults; what each honours of the official image's interface is
deploy/docker/offline/README.md. Like ShopFlow's own images, each is rebuilt only when
its inputs change (a content key in a label).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from shopflow_docker.engine import Engine
from shopflow_docker.images import DOCKER_DIR, build_arguments, digest
from shopflow_stack.config import KAFKA_LOG4J, StackConfig
from shopflow_stack.install import apt_install, kafka_jars
from shopflow_stack.process import StackError
from shopflow_stack.tools import ensure_tool

OFFLINE_ENV = DOCKER_DIR / "offline.env"
STAND_INS = DOCKER_DIR / "offline"
KEY_LABEL = "org.shopflow.content-key"
SUITE = "bookworm"
BASE_IMAGE = f"shopflow-offline/debian:{SUITE}"
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
# Images are for running, not reading: no manuals, translations or recommended extras.
_SLIM_DPKG = """\
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
"""
_SLIM_APT = """\
APT::Install-Recommends "false";
Acquire::Languages "none";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb"; };
"""

Extras = Callable[[StackConfig], dict[str, Path]]  # files a stand-in's build context adds


def offline_images() -> dict[str, str]:
    """deploy/docker/offline.env as a mapping: SHOPFLOW_<NAME>_IMAGE → stand-in image."""
    images = {}
    for line in OFFLINE_ENV.read_text().splitlines():
        name, _, value = line.partition("=")
        if name.strip().endswith("_IMAGE") and not line.startswith("#"):
            images[name.strip()] = value.strip()
    return images


def stand_in_name(image: str) -> str:
    """shopflow-offline/postgres:15 → postgres: the folder under deploy/docker/offline/
    it is built from (one stand-in may serve several variables)."""
    match = re.fullmatch(r"shopflow-offline/([a-z0-9-]+):[\w.-]+", image)
    if not match:
        raise StackError(f"{OFFLINE_ENV}: {image} is not shopflow-offline/<name>:<tag>")
    return match.group(1)


def build_offline_images(
    engine: Engine, stack: StackConfig, variables: Iterable[str] | None = None
) -> dict[str, str]:
    """The stand-ins of offline.env (only those of `variables`, if given), built where
    missing or stale; returns the mapping of the variables built for."""
    began = time.monotonic()
    base_key = ensure_base(engine)
    images = offline_images()
    if variables is not None:
        images = {name: image for name, image in images.items() if name in set(variables)}
    for image in dict.fromkeys(images.values()):
        name = stand_in_name(image)
        if name == "python":  # the base has Python: it is the python stand-in
            engine.docker_run("tag", BASE_IMAGE, image)
            continue
        folder = STAND_INS / name
        if not (folder / "Dockerfile").is_file():
            raise StackError(f"{image}: no {folder}/Dockerfile to build it from")
        extras = _EXTRAS[name](stack) if name in _EXTRAS else {}
        _build_stand_in(engine, image, folder, extras, base_key)
    print(f"offline images ready in {time.monotonic() - began:.0f}s", flush=True)
    return images


def ensure_base(engine: Engine) -> str:
    """The Debian base image, made by debootstrap when missing or stale; returns its key."""
    mirror = debian_mirror()
    key = digest([SUITE, mirror, *BASE_PACKAGES, _SLIM_DPKG, _SLIM_APT])
    if _label(engine, BASE_IMAGE) == key:
        return key
    if os.geteuid() != 0:
        raise StackError("making the offline base image runs debootstrap, which needs root")
    if not shutil.which("debootstrap"):
        apt_install("debootstrap")
    print(f"making {BASE_IMAGE} with debootstrap from {mirror} (a minute or a few) ...", flush=True)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="shopflow-rootfs-", dir="/var/tmp") as scratch:
        root = Path(scratch) / "root"
        result = subprocess.run(
            ["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
             SUITE, str(root), mirror],
            capture_output=True,
            text=True,
        )  # fmt: skip
        if result.returncode != 0:
            raise StackError(f"debootstrap failed:\n{(result.stdout + result.stderr)[-3000:]}")
        _slim(root, mirror)
        tar = subprocess.Popen(
            ["tar", "-C", str(root), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE
        )
        imported = subprocess.run(
            [engine.docker, "import",
             "--change", 'CMD ["bash"]', "--change", "ENV LANG=C.UTF-8",
             "--change", f"LABEL {KEY_LABEL}={key}", "-", BASE_IMAGE],
            stdin=tar.stdout,
            capture_output=True,
            text=True,
        )  # fmt: skip
        tar.wait()
        if imported.returncode != 0 or tar.returncode != 0:
            raise StackError(f"docker import of the base failed:\n{imported.stderr[-2000:]}")
    print(f"made {BASE_IMAGE} in {time.monotonic() - began:.0f}s", flush=True)
    return key


def debian_mirror() -> str:
    """$SHOPFLOW_DEBIAN_MIRROR, else the Debian mirror this machine's apt uses, else Debian's."""
    chosen = os.environ.get("SHOPFLOW_DEBIAN_MIRROR")
    if chosen:
        return chosen.rstrip("/")
    sources = [Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*")]
    for source in sources:
        text = source.read_text(errors="replace") if source.is_file() else ""
        for uri in re.findall(r"(?:URIs:|deb)\s+(https?://\S+/debian)/?\s", text):
            return str(uri)
    return DEFAULT_MIRROR


def _slim(root: Path, mirror: str) -> None:
    security = f"{mirror}-security"
    (root / "etc/apt/sources.list").write_text(
        f"deb {mirror} {SUITE} main\ndeb {mirror} {SUITE}-updates main\n"
        f"deb {security} {SUITE}-security main\n"
    )
    (root / "etc/dpkg/dpkg.cfg.d/shopflow-slim").write_text(_SLIM_DPKG)
    (root / "etc/apt/apt.conf.d/shopflow-slim").write_text(_SLIM_APT)
    for pattern in ("var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*",
                    "usr/share/doc/*", "usr/share/man/*", "usr/share/info/*",
                    "usr/share/locale/*", "var/log/*"):  # fmt: skip
        for path in root.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def _build_stand_in(
    engine: Engine, image: str, folder: Path, extras: dict[str, Path], base_key: str
) -> None:
    files = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
    for name, source in extras.items():
        paths = sorted(source.rglob("*")) if source.is_dir() else [source]
        for path in (p for p in paths if p.is_file()):
            files[f"{name}/{path.relative_to(source)}" if source.is_dir() else name] = path
    key = digest([f"base={base_key}", *(f"{n}:{_filedigest(p)}" for n, p in sorted(files.items()))])
    if _label(engine, image) == key:
        return
    print(f"building {image} ...", flush=True)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="shopflow-context-") as context:
        for name, path in files.items():
            target = Path(context) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        result = engine.docker_run(
            "build", "--progress=plain", "-t", image, "--label", f"{KEY_LABEL}={key}",
            *build_arguments({"BASE_IMAGE": BASE_IMAGE}), context,
            check=False,
        )  # fmt: skip
    if result.returncode != 0:
        raise StackError(f"building {image} failed:\n{result.stderr[-3000:]}")
    print(f"built {image} in {time.monotonic() - began:.0f}s", flush=True)


def _kafka_extras(stack: StackConfig) -> dict[str, Path]:
    return {"libs": kafka_jars(stack.kafka.version), "log4j2.yaml": KAFKA_LOG4J}


def _toxiproxy_extras(_stack: StackConfig) -> dict[str, Path]:
    return {"toxiproxy": ensure_tool("toxiproxy"), "toxiproxy-cli": ensure_tool("toxiproxy-cli")}


def _jaeger_extras(_stack: StackConfig) -> dict[str, Path]:
    return {"jaeger": ensure_tool("jaeger")}


_EXTRAS: dict[str, Extras] = {
    "kafka": _kafka_extras,
    "toxiproxy": _toxiproxy_extras,
    "jaeger": _jaeger_extras,
}


def _label(engine: Engine, image: str) -> str | None:
    result = engine.docker_run(
        "image", "inspect", "--format", f'{{{{ index .Config.Labels "{KEY_LABEL}" }}}}', image,
        check=False,
    )  # fmt: skip
    return result.stdout.strip() if result.returncode == 0 else None


def _filedigest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
