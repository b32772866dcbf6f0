"""The saga under open-loop load: sustained throughput with what each process spends per
order, and the highest rate whose placed → CONFIRMED p99 stays within the target.

Orders are all `tok_visa` on a product with stock for each (the load generator's own), so
every accepted order should end CONFIRMED; latency is placed → CONFIRMED on the order
service's clock (`created_at` → `updated_at`). CPU is counted from the first arrival
until the shop is quiet again (every saga finished, outboxes drained, consumers caught
up), so the work an order causes after the arrivals end is counted too; outcomes are
read only after that window, so reading them costs the figures nothing.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import asdict, dataclass
from typing import Any

from shopflow_benchmarks.harness import Bench
from shopflow_benchmarks.processes import ProcessSample, machine_busy_seconds, sample
from shopflow_drills.audit import audit
from shopflow_drills.audit.quiet import wait_for_quiet
from shopflow_drills.load import LoadPlan, LoadSummary, place_orders, read_outcomes, summarise
from shopflow_drills.load.record import Kind, LoadRecord

APPROVED_ONLY: dict[Kind, float] = {"approved": 1.0}
MEMORY_SAMPLE_SECONDS = 2.0


@dataclass(frozen=True)
class Run:
    record: LoadRecord
    summary: LoadSummary
    quiet_after: float | None  # seconds from the last arrival to quiet; None: never quiet
    cpu_seconds: dict[str, float]  # per process, first arrival → quiet
    machine_cpu_seconds: float  # every process of the machine, same window
    window_seconds: float
    peak_pss_mb: dict[str, float]  # per process, sampled while the orders arrived


async def load_run(bench: Bench, rate: float, seconds: float) -> Run:
    """One open-loop run of approved orders, measured from first arrival to quiet."""
    plan = LoadPlan(bench.gateway_url, rate=rate, duration=seconds, mix=APPROVED_ONLY)
    pids = {**bench.pids, "load generator (bench)": os.getpid()}
    before, (busy_before, _) = sample(pids), machine_busy_seconds()
    began = time.monotonic()
    peaks: dict[str, float] = {}
    sampler = asyncio.create_task(_sample_memory(pids, peaks))
    try:
        record = await place_orders(plan)
    finally:
        sampler.cancel()
    arrivals_ended = time.monotonic()
    motion, _ = await wait_for_quiet(bench.deployment, bench.sizes.quiet_timeout)
    after, (busy_after, _) = sample(pids), machine_busy_seconds()
    ended = time.monotonic()
    await read_outcomes(plan, record, bench.sizes.settle_seconds)
    return Run(
        record=record,
        summary=summarise(record),
        quiet_after=ended - arrivals_ended if motion.quiet else None,
        cpu_seconds=_spent(before, after),
        machine_cpu_seconds=busy_after - busy_before,
        window_seconds=ended - began,
        peak_pss_mb=peaks,
    )


async def _sample_memory(pids: dict[str, int], peaks: dict[str, float]) -> None:
    while True:
        for name, now in sample(pids).items():
            peaks[name] = max(peaks.get(name, 0.0), now.pss_mb)
        await asyncio.sleep(MEMORY_SAMPLE_SECONDS)


def _spent(before: dict[str, ProcessSample], after: dict[str, ProcessSample]) -> dict[str, float]:
    return {
        name: after[name].cpu_seconds - before[name].cpu_seconds for name in after if name in before
    }


async def sustained(bench: Bench) -> dict[str, Any]:
    """The sustained run: its figures, CPU per order by process, and the auditor's verdict
    on the shop afterwards (held to what the run's clients were told)."""
    sizes = bench.sizes
    run = await load_run(bench, sizes.saga_rate, sizes.saga_seconds)
    verdict = await audit(
        bench.deployment, records=[("sustained", run.record)], quiet_timeout=sizes.quiet_timeout
    )
    audited = {
        "consistent": verdict.consistent,
        "violations": verdict.counts(),
        "timed_out": verdict.timed_out,
    }
    return {**_figures(run), "audit": audited}


def _figures(run: Run) -> dict[str, Any]:
    orders = run.summary.accepted or 1
    stack = {
        name: spent for name, spent in run.cpu_seconds.items() if name != "load generator (bench)"
    }
    return {
        "summary": run.summary.as_json(),
        "quiet_after_seconds": run.quiet_after,
        "window_seconds": run.window_seconds,
        "cpu_ms_per_order": {
            name: 1000 * spent / orders for name, spent in run.cpu_seconds.items()
        },
        "stack_cpu_ms_per_order": 1000 * sum(stack.values()) / orders,
        "machine_cpu_ms_per_order": 1000 * run.machine_cpu_seconds / orders,
        "others_cpu_seconds": run.machine_cpu_seconds - sum(run.cpu_seconds.values()),
        "machine_busy_share": run.machine_cpu_seconds
        / (run.window_seconds * (os.cpu_count() or 1)),
        "peak_pss_mb": run.peak_pss_mb,
    }


@dataclass(frozen=True)
class Step:
    rate: float
    offered: int
    accepted: int
    confirmed: int
    p99_ms: float | None
    passed: bool


async def highest_rate(bench: Bench) -> dict[str, Any]:
    """A few runs, doubling while the target holds, then halving the gap: the highest rate
    found whose every order was accepted and confirmed, with placed → CONFIRMED p99 ≤ target.

    Each run starts on a quiet shop; one the shop has not worked off within the quiet
    timeout ends the search, since a run on top of a backlog would measure the backlog.
    """
    sizes = bench.sizes
    steps: list[Step] = []
    passed_at: float | None = None
    failed_at: float | None = None
    rate = sizes.search_start
    for _ in range(sizes.search_steps):
        motion, _ = await wait_for_quiet(bench.deployment, sizes.quiet_timeout)
        if not motion.quiet:
            bench.notes.append(
                f"the search stopped before {rate:g}/s: the shop was still busy "
                f"{sizes.quiet_timeout:g} s after the last run ({motion.describe()})"
            )
            break
        run = await load_run(bench, rate, sizes.search_seconds)
        s = run.summary
        confirmed = s.placed_to_confirmed.count
        p99 = s.placed_to_confirmed.p99
        ok = s.offered == confirmed and p99 is not None and p99 <= sizes.p99_target
        p99_ms = None if p99 is None else p99 * 1000
        steps.append(Step(rate, s.offered, s.accepted, confirmed, p99_ms, ok))
        if ok:
            passed_at = rate
        else:
            failed_at = rate
        rate = _next_rate(passed_at, failed_at)
    bench.sustainable_rate = passed_at
    return {
        "p99_target_ms": sizes.p99_target * 1000,
        "step_seconds": sizes.search_seconds,
        "highest_rate": passed_at,
        "steps": [asdict(step) for step in steps],
    }


def _next_rate(passed_at: float | None, failed_at: float | None) -> float:
    if failed_at is None:
        assert passed_at is not None
        return passed_at * 2
    if passed_at is None:
        return round(failed_at / 2, 1)
    return round((passed_at + failed_at) / 2, 1)
