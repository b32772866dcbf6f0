"""What tracing costs: off, sampled as in production, fully sampled, side by side.

Each mode runs on the same stack within the same minutes: the stack's five services run
that mode's standard OTEL_* variables (spans exported to the stack's Jaeger), restarted
together unless they already do (`full` is the local stack's own), and a gateway of the
bench's own is started with them (the smoke restarts no service, `tracing_services`: its
modes are the gateway's alone), then

- **reads**: wrk reads `GET /api/v1/products/{sku}` (never cached: gateway → inventory →
  PostgreSQL; a server span in each service, the gateway's client and Redis spans, the
  SQL spans) for `tracing_seconds`;
- **orders**: approved orders placed open-loop at `tracing_order_rate` for
  `tracing_order_seconds`, counted until the shop is quiet (every span of every Kafka hop),
  less the processes' idle CPU over as long.

Modes (`tracing_modes`, `off` always among them) are interleaved over `tracing_rounds`
and the median kept. Throughput on a shared machine moves with its neighbours; the CPU
seconds the shop's six processes spend per request and per order do not, so the verdict is
read from CPU: "capacity vs off" is the untraced CPU over the mode's, the share of
untraced throughput the same CPU would serve.
The default sampling must keep ≥ 90 % of it (ADR 0010).
"""

from __future__ import annotations

import asyncio
import os
import statistics
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import httpx

from shopflow_benchmarks.harness import SERVICES, Bench, load_gateway, stack_pids
from shopflow_benchmarks.processes import ProcessSample, sample
from shopflow_benchmarks.saga import load_run
from shopflow_benchmarks.wrk import wrk
from shopflow_drills.audit.quiet import wait_for_quiet

MODES: dict[str, dict[str, str]] = {
    "off": {"OTEL_SDK_DISABLED": "true"},
    "default": {"OTEL_TRACES_SAMPLER_ARG": "0.1"},  # the kit's default: one trace in ten
    "full": {"OTEL_TRACES_SAMPLER_ARG": "1.0"},
}
READ_SERVICES = ("gateway", "inventory")  # the processes a read reaches
BACKEND = "jaeger"  # receives the spans: its CPU is the exporting's other half


@contextmanager
def environment(variables: Mapping[str, str]) -> Iterator[None]:
    """`variables` in this process's environment, which the stack passes on to what it starts."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


async def tracing(bench: Bench) -> dict[str, Any]:
    sizes = bench.sizes
    if "off" not in sizes.tracing_modes:
        raise ValueError(
            f"tracing modes {sizes.tracing_modes}: `off` is what the others are read against"
        )
    async with httpx.AsyncClient(base_url=bench.gateway_url, timeout=10) as client:
        sku = (await client.get("/api/v1/products")).json()[0]["sku"]
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in sizes.tracing_modes}
    try:
        for _ in range(sizes.tracing_rounds):
            for mode in sizes.tracing_modes:
                with environment(MODES[mode]):
                    runs[mode].append(await _mode(bench, sku))
    finally:
        await bench.stack.up(SERVICES)  # as the stack runs them: restarted if the last mode was not
        bench.pids.update(stack_pids(bench.stack))
    medians = {
        mode: {key: statistics.median(run[key] for run in found) for key in found[0]}
        for mode, found in runs.items()
    }
    off = medians["off"]
    return {
        "sku": sku,
        "seconds": sizes.tracing_seconds,
        "connections": sizes.tracing_connections,
        "rounds": sizes.tracing_rounds,
        "order_rate": sizes.tracing_order_rate,
        "order_seconds": sizes.tracing_order_seconds,
        "services_in_mode": ["gateway", *sizes.tracing_services],
        "modes": medians,
        "every_round": runs,  # the spread the medians hide
        "vs_off": {
            mode: m["requests_per_second"] / off["requests_per_second"]
            for mode, m in medians.items()
        },
        "capacity_vs_off": {
            what: {mode: off[key] / m[key] for mode, m in medians.items()}
            for what, key in (("reads", "cpu_ms_per_request"), ("orders", "cpu_ms_per_order"))
        },
    }


async def _mode(bench: Bench, sku: str) -> dict[str, float]:
    """Both measurements under the environment in force (the mode's)."""
    # restarts those started with another mode's variables
    await bench.stack.up(bench.sizes.tracing_services)
    async with load_gateway(bench.stack, bench.log_dir) as (gateway_url, gateway_pid):
        pids = {**stack_pids(bench.stack), "gateway": gateway_pid}
        read = await _read(bench, f"{gateway_url}/api/v1/products/{sku}", pids)
        orders = await _orders(replace(bench, gateway_url=gateway_url, pids=pids))
    return {**read, **orders}


async def _read(bench: Bench, url: str, pids: Mapping[str, int]) -> dict[str, float]:
    sizes = bench.sizes
    measured = {name: pids[name] for name in READ_SERVICES}
    await asyncio.to_thread(wrk, url, connections=sizes.tracing_connections, seconds=1)
    before = sample(measured)
    result = await asyncio.to_thread(
        wrk, url, connections=sizes.tracing_connections, seconds=sizes.tracing_seconds
    )
    after = sample(measured)
    if result.errors:
        raise RuntimeError(f"{result.errors} failed reads of {url}: not a figure")
    per_request = {
        name: 1000 * cpu / max(result.requests, 1) for name, cpu in _spent(before, after).items()
    }
    return {
        "requests_per_second": result.requests_per_second,
        "p99_ms": result.p99_ms,
        "cpu_ms_per_request": sum(per_request.values()),
        **by_process("cpu_ms_per_request", per_request),
    }


async def _orders(bench: Bench) -> dict[str, float]:
    """CPU per order: what the processes spent from the first order until the shop was
    quiet again, less what they spend idle (relays and consumers polling, measured just
    before) over as long, so a slower drain on a busy machine does not count as cost."""
    sizes = bench.sizes
    wanted = ("gateway", *SERVICES, BACKEND)
    measured = {name: pid for name, pid in bench.pids.items() if name in wanted}
    await wait_for_quiet(bench.deployment, sizes.quiet_timeout)
    before = sample(measured)
    await asyncio.sleep(sizes.tracing_idle_seconds)
    idle = _spent(before, sample(measured))
    run = await load_run(bench, sizes.tracing_order_rate, sizes.tracing_order_seconds)
    orders = run.summary.accepted or 1

    def busy(name: str) -> float:
        return run.cpu_seconds[name] - idle[name] * run.window_seconds / sizes.tracing_idle_seconds

    per_order = {name: 1000 * busy(name) / orders for name in ("gateway", *SERVICES)}
    return {
        "orders": run.summary.accepted,
        "cpu_ms_per_order": sum(per_order.values()),
        "backend_cpu_ms_per_order": 1000 * busy(BACKEND) / orders if BACKEND in idle else 0.0,
        **by_process("cpu_ms_per_order", per_order),
    }


def by_process(figure: str, values: Mapping[str, float]) -> dict[str, float]:
    """`figure` of each process, as flat keys (`cpu_ms_per_order:order`) that take medians
    like the totals: where a mode's cost lands, not only how much it is."""
    return {f"{figure}:{name}": value for name, value in values.items()}


def _spent(
    before: Mapping[str, ProcessSample], after: Mapping[str, ProcessSample]
) -> dict[str, float]:
    return {name: after[name].cpu_seconds - before[name].cpu_seconds for name in before}
