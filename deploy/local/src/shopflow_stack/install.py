"""Installs what the stack needs and the machine lacks: Debian packages, the Kafka jars."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shopflow_stack.config import KAFKA_POM, cache_dir
from shopflow_stack.process import StackError

_apt_lock = threading.Lock()
_apt_updated = False


def ensure_command(command: str, package: str, search: tuple[str, ...] = ()) -> str:
    """The path of `command`, installing Debian's `package` when it is missing."""
    found = _find(command, search)
    if found:
        return found
    apt_install(package)
    found = _find(command, search)
    if not found:
        raise StackError(f"installed {package} but still cannot find {command}")
    return found


def _find(command: str, search: tuple[str, ...]) -> str | None:
    found = shutil.which(command)
    if found:
        return found
    # Debian keeps the PostgreSQL server binaries off PATH, one folder per major version.
    candidates = sorted(
        (path for pattern in search for path in Path("/").glob(pattern.lstrip("/"))),
        key=lambda path: [int(part) for part in re.findall(r"\d+", str(path))],
    )
    return str(candidates[-1]) if candidates else None


def apt_install(*packages: str) -> None:
    global _apt_updated
    if os.geteuid() != 0:
        raise StackError(
            f"missing {', '.join(packages)}: install with `sudo apt-get install -y "
            f"{' '.join(packages)}` (or your system's equivalent) and run again"
        )
    with _apt_lock:
        print(f"installing {', '.join(packages)} with apt-get ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if not _apt_updated:
            subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
            _apt_updated = True
        with _no_service_autostart():
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
                check=True,
                env=env,
                stdout=subprocess.DEVNULL,
            )


@contextmanager
def _no_service_autostart() -> Iterator[None]:
    """Debian starts a system-wide server when its package is installed; we run our own."""
    policy = Path("/usr/sbin/policy-rc.d")
    if policy.exists():
        yield
        return
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    try:
        yield
    finally:
        policy.unlink(missing_ok=True)


def ensure_java() -> str:
    java = shutil.which("java")
    if java and _java_major(java) >= 17:
        return java
    apt_install("openjdk-17-jre-headless")
    java = shutil.which("java")
    if not java or _java_major(java) < 17:
        raise StackError("Apache Kafka 4 needs Java 17 or newer on PATH")
    return java


def _java_major(java: str) -> int:
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def kafka_jars(version: str) -> Path:
    """The folder of the broker's jars, fetched from Maven Central on first use and cached."""
    lib = cache_dir() / f"kafka-{version}" / "lib"
    complete = lib / ".complete"
    if complete.exists():
        return lib
    mvn = ensure_command("mvn", "maven")
    print(f"fetching Apache Kafka {version} from Maven Central into {lib} ...", flush=True)
    partial = lib.with_name("lib.partial")
    shutil.rmtree(partial, ignore_errors=True)
    result = subprocess.run(
        [
            mvn, "-B", "-q", "-f", str(KAFKA_POM),
            f"-Dkafka.version={version}",
            "dependency:copy-dependencies",
            f"-DoutputDirectory={partial}",
            "-DincludeScope=runtime",
        ],
        capture_output=True,
        text=True,
    )  # fmt: skip
    if result.returncode != 0:
        raise StackError(f"Maven could not fetch Kafka {version}:\n{result.stdout[-3000:]}")
    shutil.rmtree(lib, ignore_errors=True)
    partial.rename(lib)
    complete.touch()
    return lib
