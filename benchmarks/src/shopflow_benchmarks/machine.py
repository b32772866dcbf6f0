"""The machine and the code a run measured: cores, CPU model, memory, load, commit."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Machine:
    cores: int
    cpu_model: str
    memory_gb: float
    kernel: str
    python: str
    load_average: tuple[float, float, float]  # at the start: other work on a shared machine

    def line(self) -> str:
        load = ", ".join(f"{value:.1f}" for value in self.load_average)
        return (
            f"{self.cores} cores ({self.cpu_model}), {self.memory_gb:.0f} GB RAM, "
            f"Linux {self.kernel}, Python {self.python}; load average at start {load}"
        )


def this_machine() -> Machine:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return Machine(
        cores=os.cpu_count() or 1,
        cpu_model=model,
        memory_gb=pages / 2**30,
        kernel=platform.release(),
        python=platform.python_version(),
        load_average=os.getloadavg(),
    )


def commit(repo: Path) -> str:
    """The commit measured, with `-dirty` if the work tree has changes."""

    def git(*args: str) -> str:
        result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
        return result.stdout.strip()

    sha = git("rev-parse", "--short=12", "HEAD") or "unknown"
    return f"{sha}-dirty" if git("status", "--porcelain", "--untracked-files=no") else sha
