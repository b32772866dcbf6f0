"""What tracing costs: off, sampled as in production, fully sampled, side by side.

- **reads**, every mode at the same time: each mode has a gateway and an inventory service
  of its own (the bench's, started with the mode's standard OTEL_* variables, spans
  exported to the stack's Jaeger every 5 s as a deployment does; the inventory without
  its background jobs), all reading from the stack's PostgreSQL, and a wrk on each
  mode's gateway, all running together
  for `tracing_seconds`: `GET /api/v1/products/{sku}` (never cached: gateway → inventory
  → PostgreSQL; a server span in each, the gateway's client and Redis spans, the SQL
  spans). Measured one after the other, a mode's CPU per read moved by a third between
  rounds with the machine's own speed (docs/observability.md); run together, every mode
  lives through the same minutes, and the ratios hold.
- **orders**, one mode after the other, as they need the whole shop: the stack's five
  services restarted with the mode's variables (unless they already run them) and a
  gateway of the bench's; approved orders placed open-loop at
  `tracing_order_rate` for `tracing_order_seconds`, counted until the shop is quiet (every
  span of every Kafka hop), less the processes' idle CPU over as long. The smoke restarts
  no service (`tracing_services`): its modes are the gateway's alone.

Modes (`tracing_modes`, `off` always among them) read for `tracing_read_rounds` and place
orders for `tracing_rounds`, the orders interleaved. Throughput moves with the neighbours;
the CPU seconds the processes spend per request and per order move much less, so the
verdict is read from CPU: "capacity vs off" is the untraced CPU over the mode's, in the
same round (the median of the rounds is kept, their spread beside it), the share of
untraced throughput the same CPU would serve. The default sampling must keep ≥ 90 % of it
(ADR 0014). A round of reads moves by ±5 % on a shared 2-core machine, so they take six
short rounds: a round costs 10 s, a round of orders a few minutes. The instruction count
(`instructions`) is the deterministic figure beside it (ADR 0025).
"""

from __future__ import annotations

import asyncio
import os
import statistics
from collections.abc import Iterator, Mapping
from contextlib import AsyncExitStack, contextmanager
from dataclasses import replace
from typing import Any

import httpx

from shopflow_benchmarks.harness import SERVICES, Bench, load_gateway, reader, stack_pids
from shopflow_benchmarks.processes import ProcessSample, sample
from shopflow_benchmarks.saga import load_run
from shopflow_benchmarks.wrk import wrk
from shopflow_drills.audit.quiet import wait_for_quiet

EXPORTED_AS_DEPLOYED = {"OTEL_BSP_SCHEDULE_DELAY": "5000"}
"""The SDK's own export delay, as a deployment runs (the Helm chart sets none). The local
stack exports every second so that a demo's trace shows at once; at that pace each
process's POST (about 1.1 ms of CPU) is shared by five times fewer requests, which at the
bench's rates cost the default a few per cent that no deployment pays."""

MODES: dict[str, dict[str, str]] = {
    "off": {"OTEL_SDK_DISABLED": "true"},
    # the kit's default: one trace in ten
    "default": {"OTEL_TRACES_SAMPLER_ARG": "0.1", **EXPORTED_AS_DEPLOYED},
    "full": {"OTEL_TRACES_SAMPLER_ARG": "1.0", **EXPORTED_AS_DEPLOYED},
}
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
    reads = await _reads(bench, sku)
    orders: list[dict[str, dict[str, float]]] = []
    try:
        for _ in range(sizes.tracing_rounds):
            orders.append({mode: await _orders_in(bench, mode) for mode in sizes.tracing_modes})
    finally:
        await bench.stack.up(SERVICES)  # as the stack runs them: restarted if the last mode was not
        bench.pids.update(stack_pids(bench.stack))
    medians = {
        mode: {**median_figures(reads, mode), **median_figures(orders, mode)}
        for mode in sizes.tracing_modes
    }
    off = medians["off"]
    return {
        "sku": sku,
        "seconds": sizes.tracing_seconds,
        "connections": sizes.tracing_connections,
        "reads_at_once": True,  # every mode's reads in the same seconds
        "read_rounds": sizes.tracing_read_rounds,
        "rounds": sizes.tracing_rounds,
        "order_rate": sizes.tracing_order_rate,
        "order_seconds": sizes.tracing_order_seconds,
        "services_in_mode": ["gateway", *sizes.tracing_services],
        "modes": medians,
        "every_round": {"reads": reads, "orders": orders},  # the spread the medians hide
        "vs_off": {
            mode: m["requests_per_second"] / off["requests_per_second"]
            for mode, m in medians.items()
        },
        "capacity_vs_off": {
            "reads": capacity(reads, "cpu_ms_per_request"),
            "orders": capacity(orders, "cpu_ms_per_order"),
        },
        "capacity_spread": {
            "reads": capacity(reads, "cpu_ms_per_request", spread=True),
            "orders": capacity(orders, "cpu_ms_per_order", spread=True),
        },
    }


def median_figures(rounds: list[dict[str, dict[str, float]]], mode: str) -> dict[str, float]:
    """Each figure of `mode`, the median of `rounds`."""
    return {key: statistics.median(r[mode][key] for r in rounds) for key in rounds[0][mode]}


def capacity(
    rounds: list[dict[str, dict[str, float]]], key: str, *, spread: bool = False
) -> dict[str, Any]:
    """Per mode, untraced CPU (`key`) ÷ the mode's in the same round: the median of the
    rounds, or with `spread` their lowest and highest."""
    found = {mode: [r["off"][key] / r[mode][key] for r in rounds] for mode in rounds[0]}
    if spread:
        return {mode: [min(ratios), max(ratios)] for mode, ratios in found.items()}
    return {mode: statistics.median(ratios) for mode, ratios in found.items()}


async def _reads(bench: Bench, sku: str) -> list[dict[str, dict[str, float]]]:
    """Each round's reads, every mode at once: {mode: figures} per round."""
    sizes = bench.sizes
    async with AsyncExitStack() as started:
        targets: dict[str, tuple[str, dict[str, int]]] = {}
        for mode in sizes.tracing_modes:
            log = bench.log_dir / f"bench-inventory-tracing-{mode}.log"
            inventory_url, inventory_pid = await started.enter_async_context(
                reader(bench.stack, "inventory", log, MODES[mode])
            )
            gateway_url, gateway_pid = await started.enter_async_context(
                load_gateway(
                    bench.stack, bench.log_dir, SHOPFLOW_INVENTORY_URL=inventory_url, **MODES[mode]
                )
            )
            pids = {"gateway": gateway_pid, "inventory": inventory_pid}
            targets[mode] = (f"{gateway_url}/api/v1/products/{sku}", pids)
        await _all_at_once(targets, sizes.tracing_connections, seconds=1)  # warm: imports, pools
        return [
            await _all_at_once(targets, sizes.tracing_connections, sizes.tracing_seconds)
            for _ in range(sizes.tracing_read_rounds)
        ]


async def _all_at_once(
    targets: Mapping[str, tuple[str, Mapping[str, int]]], connections: int, seconds: float
) -> dict[str, dict[str, float]]:
    """wrk on every mode's URL at once; each mode's rate and its processes' CPU per request."""
    measured = {
        f"{mode}:{name}": pid for mode, (_, pids) in targets.items() for name, pid in pids.items()
    }
    before = sample(measured)
    results = await asyncio.gather(
        *(
            asyncio.to_thread(wrk, url, connections=connections, seconds=seconds)
            for url, _ in targets.values()
        )
    )
    after = sample(measured)
    spent = _spent(before, after)
    in_kernel = {name: after[name].system_seconds - before[name].system_seconds for name in before}
    figures = {}
    for (mode, (url, pids)), result in zip(targets.items(), results, strict=True):
        if result.errors:
            raise RuntimeError(f"{result.errors} failed reads of {url}: not a figure")
        per_request = {
            name: 1000 * spent[f"{mode}:{name}"] / max(result.requests, 1) for name in pids
        }
        figures[mode] = {
            "requests_per_second": result.requests_per_second,
            "p99_ms": result.p99_ms,
            "cpu_ms_per_request": sum(per_request.values()),
            # the part the instruction count cannot see
            "system_ms_per_request": 1000
            * sum(in_kernel[f"{mode}:{name}"] for name in pids)
            / max(result.requests, 1),
            **by_process("cpu_ms_per_request", per_request),
        }
    return figures


async def _orders_in(bench: Bench, mode: str) -> dict[str, float]:
    """The orders' figures with the services and a gateway of the bench's in `mode`."""
    with environment(MODES[mode]):
        # restarts those started with another mode's variables
        await bench.stack.up(bench.sizes.tracing_services)
        async with load_gateway(bench.stack, bench.log_dir) as (gateway_url, gateway_pid):
            pids = {**stack_pids(bench.stack), "gateway": gateway_pid}
            return await _orders(replace(bench, gateway_url=gateway_url, pids=pids))


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
