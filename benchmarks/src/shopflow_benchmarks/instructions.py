"""What tracing costs a read, counted in instructions: the same figure on a busy machine.

CPU time on a shared 2-core machine moves by a few per cent between runs, more than the
margin of the tracing objective (ADR 0025). Callgrind counts the user-space instructions
a process executes, every thread included (the exporter's too), whatever its neighbours
do. Each counted mode gets a gateway and an inventory as `tracing` starts them (spans
exported to the stack's Jaeger every 5 s), run under `valgrind --tool=callgrind` with
counting switched on after a warm-up, for `instruction_reads` reads of one product sent
one after the other; the gateway reads through the stack's inventory.

Counted: off, unsampled (ratio 0: every request a trace nobody records), full without
export, full. The default is worked out from them, per process: unsampled + ratio ×
(full − unsampled), the nine requests in ten plus the tenth. Counting a 10 % sample
directly would carry the sampling's own noise and, at valgrind's pace (a few reads a
second), an export POST shared by far fewer reads than in real life.

Not in the default run: `make bench only=tracing_instructions` (some minutes; installs
Debian's valgrind if missing).
"""

from __future__ import annotations

import asyncio
import re
import shutil
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx

from shopflow_benchmarks.harness import Bench, load_gateway, reader
from shopflow_benchmarks.tracing import MODES
from shopflow_stack.install import ensure_command

COUNTED: dict[str, dict[str, str]] = {
    "off": MODES["off"],
    "unsampled": {"OTEL_TRACES_SAMPLER_ARG": "0"},
    "full, no export": {"OTEL_TRACES_SAMPLER_ARG": "1.0", "OTEL_TRACES_EXPORTER": "none"},
    "full": MODES["full"],
}
DEFAULT_RATIO = float(MODES["default"]["OTEL_TRACES_SAMPLER_ARG"])
WARM_UP_READS = 30
_TOTALS = re.compile(r"^(?:totals|summary):\s+(\d+)", re.MULTILINE)


async def tracing_instructions(bench: Bench) -> dict[str, Any]:
    valgrind = ensure_command("valgrind", "valgrind")
    control = shutil.which("callgrind_control") or "callgrind_control"  # ships with valgrind
    async with httpx.AsyncClient(base_url=bench.gateway_url, timeout=10) as client:
        sku = (await client.get("/api/v1/products")).json()[0]["sku"]
    reads = bench.sizes.instruction_reads
    counted: dict[str, dict[str, float]] = {"gateway": {}, "inventory": {}}
    async with AsyncExitStack() as started:
        targets = []
        for mode, variables in COUNTED.items():
            for process in counted:
                out = bench.log_dir / f"callgrind-{process}-{_slug(mode)}.out"
                for stale in out.parent.glob(f"{out.name}*"):  # a run before's dumps
                    stale.unlink()
                wrapper = [valgrind, "--tool=callgrind", "--instr-atstart=no"]
                wrapper.append(f"--callgrind-out-file={out}")
                if process == "inventory":
                    log = bench.log_dir / f"bench-inventory-{_slug(mode)}.log"
                    url, pid = await started.enter_async_context(
                        reader(bench.stack, "inventory", log, variables, wrapper)
                    )
                    path = f"/products/{sku}"
                else:
                    url, pid = await started.enter_async_context(
                        load_gateway(bench.stack, bench.log_dir, wrapper, **variables)
                    )
                    path = f"/api/v1/products/{sku}"
                targets.append((process, mode, f"{url}{path}", pid, out))
        for process, mode, url, pid, out in targets:  # one at a time: valgrind is slow enough
            counted[process][mode] = await _count(control, pid, out, url, reads) / 1e6
    return {"sku": sku, "reads": reads, **summary(counted, DEFAULT_RATIO)}


def summary(counted: dict[str, dict[str, float]], ratio: float) -> dict[str, Any]:
    """Per process and mode, with `default` worked out at `ratio`; the two processes
    together; each mode's capacity vs off (the untraced instructions over the mode's)."""
    per_read = {
        process: {
            **figures,
            "default": figures["unsampled"] + ratio * (figures["full"] - figures["unsampled"]),
        }
        for process, figures in counted.items()
    }
    modes = list(next(iter(per_read.values())))
    total = {mode: sum(figures[mode] for figures in per_read.values()) for mode in modes}
    return {
        "default_ratio": ratio,
        "million_instructions_per_read": {**per_read, "gateway + inventory": total},
        "capacity_vs_off": {mode: total["off"] / value for mode, value in total.items()},
    }


async def _count(control: str, pid: int, out: Path, url: str, reads: int) -> float:
    """The instructions process `pid` executes while it answers `reads` GETs of `url`."""
    async with httpx.AsyncClient(timeout=120) as client:
        for _ in range(WARM_UP_READS):
            (await client.get(url)).raise_for_status()
        await _run(control, "--zero", str(pid))
        await _run(control, "--instr=on", str(pid))
        for _ in range(reads):
            (await client.get(url)).raise_for_status()
        await _run(control, "--instr=off", str(pid))
    before = set(out.parent.glob(f"{out.name}*"))
    await _run(control, "--dump", str(pid))
    [dump] = set(out.parent.glob(f"{out.name}*")) - before
    return int(max(_TOTALS.findall(dump.read_text()), key=int)) / reads


async def _run(*argv: str) -> None:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, error = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {error.decode().strip()}")


def _slug(mode: str) -> str:
    return re.sub(r"[^a-z]+", "-", mode).strip("-")
