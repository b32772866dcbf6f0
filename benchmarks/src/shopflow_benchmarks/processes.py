"""What each process of the stack costs, read from /proc: CPU seconds and proportional memory.

A stack process is counted with every process it started (a PostgreSQL server is its
postmaster and its backends), because that is what it costs the machine:

- CPU: user + system time of each live process of the tree, plus the time of the
  children each one has already reaped (cutime, cstime), so a backend that exited during
  the run still counts, once, towards the server that started it;
- memory: PSS (proportional set size, from smaps_rollup): shared pages divided among
  the processes sharing them, so PostgreSQL's shared buffers are counted once per
  server and not once per backend as RSS would.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcessSample:
    cpu_seconds: float  # user + system
    pss_mb: float
    system_seconds: float  # of `cpu_seconds`, in the kernel


def _stat(pid: int) -> list[str] | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name may hold spaces and parentheses: the fields follow its last ')'.
    return text.rsplit(")", 1)[1].split()


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            children[int(fields[1])].append(int(entry.name))
    return children


def tree(
    pid: int, children: Mapping[int, list[int]], apart: frozenset[int] = frozenset()
) -> list[int]:
    """`pid` and every process below it, except those `apart` (measured on their own) and theirs."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += [child for child in children.get(current, []) if child not in apart]
    return found


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """(user + system, system) CPU seconds of `pid` and of the children it reaped."""
    fields = _stat(pid)
    if fields is None:
        return 0.0, 0.0
    # utime, stime, cutime, cstime: fields 14-17 of stat, 12-15 after the name.
    user, system, children_user, children_system = (int(value) for value in fields[11:15])
    return (user + system + children_user + children_system) / TICKS, (
        system + children_system
    ) / TICKS


def _pss_mb(pid: int) -> float:
    try:
        lines = (PROC / str(pid) / "smaps_rollup").read_text().splitlines()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0.0
    for line in lines:
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def sample(pids: Mapping[str, int]) -> dict[str, ProcessSample]:
    """CPU seconds so far and PSS now, of each named process with its descendants."""
    children = _children()
    roots = frozenset(pids.values())  # the bench's own gateway is its child, and its own row
    samples = {}
    for name, pid in pids.items():
        members = tree(pid, children, roots - {pid})
        cpu = [_cpu_seconds(p) for p in members]
        samples[name] = ProcessSample(
            cpu_seconds=sum(total for total, _ in cpu),
            pss_mb=sum(_pss_mb(p) for p in members),
            system_seconds=sum(system for _, system in cpu),
        )
    return samples


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores together."""
    fields = [int(v) for v in (PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # user … steal; guest time is already inside user
    return (total - idle) / TICKS, total / TICKS
