"""What tracing costs: one read with tracing off, sampled as in production, fully sampled.

`GET /api/v1/products/{sku}` (never cached) goes gateway → inventory → PostgreSQL: with
tracing on, a server span in each service, the gateway's client span and Redis span,
the SQL spans. For each mode the stack's inventory is restarted and a gateway of the
bench's own started with that mode's standard OTEL_* variables (spans exported to the
stack's Jaeger), then wrk reads for `tracing_seconds`; modes are interleaved over
`tracing_rounds` and the median kept. The figure that matters is the ratio to "off":
the default sampling must keep ≥ 90 % of untraced throughput (ADR 0010). CPU per request
is the two processes' CPU seconds over the requests answered.
"""

from __future__ import annotations

import asyncio
import os
import statistics
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from shopflow_benchmarks.harness import Bench, load_gateway
from shopflow_benchmarks.processes import sample
from shopflow_benchmarks.wrk import wrk

MODES: dict[str, dict[str, str]] = {
    "off": {"OTEL_SDK_DISABLED": "true"},
    "default": {"OTEL_TRACES_SAMPLER_ARG": "0.1"},  # the kit's default: one trace in ten
    "full": {"OTEL_TRACES_SAMPLER_ARG": "1.0"},
}
TRACED_SERVICE = "inventory"  # the stack's process the read reaches behind the gateway


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
    async with httpx.AsyncClient(base_url=bench.gateway_url, timeout=10) as client:
        sku = (await client.get("/api/v1/products")).json()[0]["sku"]
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    try:
        for _ in range(sizes.tracing_rounds):
            for mode, variables in MODES.items():
                with environment(variables):
                    runs[mode].append(await _read(bench, sku))
    finally:
        await bench.stack.restart(TRACED_SERVICE)  # as the stack runs it
    medians = {
        mode: {key: statistics.median(run[key] for run in found) for key in found[0]}
        for mode, found in runs.items()
    }
    off = medians["off"]["requests_per_second"]
    return {
        "sku": sku,
        "seconds": sizes.tracing_seconds,
        "connections": sizes.tracing_connections,
        "rounds": sizes.tracing_rounds,
        "modes": medians,
        "vs_off": {mode: m["requests_per_second"] / off for mode, m in medians.items()},
    }


async def _read(bench: Bench, sku: str) -> dict[str, float]:
    sizes = bench.sizes
    await bench.stack.restart(TRACED_SERVICE)
    async with load_gateway(bench.stack, bench.log_dir) as (gateway_url, gateway_pid):
        url = f"{gateway_url}/api/v1/products/{sku}"
        measured = {
            "gateway": gateway_pid,
            TRACED_SERVICE: bench.stack.get(TRACED_SERVICE).pid() or 0,
        }
        await asyncio.to_thread(wrk, url, connections=sizes.tracing_connections, seconds=1)
        before = sample(measured)
        result = await asyncio.to_thread(
            wrk, url, connections=sizes.tracing_connections, seconds=sizes.tracing_seconds
        )
        after = sample(measured)
    if result.errors:
        raise RuntimeError(f"{result.errors} failed reads of {url}: not a figure")
    cpu = sum(after[name].cpu_seconds - before[name].cpu_seconds for name in measured)
    return {
        "requests_per_second": result.requests_per_second,
        "p99_ms": result.p99_ms,
        "cpu_ms_per_request": 1000 * cpu / max(result.requests, 1),
    }
