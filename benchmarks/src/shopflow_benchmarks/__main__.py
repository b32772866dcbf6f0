"""`make bench` / `python -m shopflow_benchmarks`: the shop measured in one run on one machine.

Starts what is not running of the local stack (and stops only that afterwards), then
measures, in order: one read from a bare app up to the gateway (wrk); the saga sustained
at --rate for --duration seconds with CPU per order per process and memory under load;
the highest rate with placed → CONFIRMED p99 ≤ 1 s; twice that rate for a minute
(refused at the door, still confirming, back to normal after); the outbox relay; the ceilings
(pgbench, a raw Kafka round trip); what tracing costs (off, default sampling, full).
Prints the tables, writes the figures as JSON under benchmarks/results/ and puts them
in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvloop

from shopflow_benchmarks import (
    ceilings,
    instructions,
    overload,
    reads,
    relay,
    saga,
    tracing,
    upstream_clients,
)
from shopflow_benchmarks.harness import (
    SMOKE,
    Bench,
    Sizes,
    load_gateway,
    stack_pids,
    until_terminated,
)
from shopflow_benchmarks.machine import commit, this_machine
from shopflow_benchmarks.processes import sample
from shopflow_benchmarks.report import markdown, update_docs
from shopflow_drills.audit.quiet import wait_for_quiet
from shopflow_stack.config import REPO_ROOT
from shopflow_stack.stack import Stack

Section = Callable[[Bench], Awaitable[dict[str, Any]]]


async def _ceilings(bench: Bench) -> dict[str, Any]:
    return {"postgres": await ceilings.postgres(bench), "kafka": await ceilings.kafka(bench)}


SECTIONS: dict[str, Section] = {
    "reads": reads.reads,
    "saga": saga.sustained,
    "search": saga.highest_rate,
    "overload": overload.overload,
    "relay": relay.relay,
    "ceilings": _ceilings,
    "tracing": tracing.tracing,
    "tracing_instructions": instructions.tracing_instructions,
    "upstream_clients": upstream_clients.upstream_clients,
}
DEFAULT_SECTIONS = ("reads", "saga", "search", "overload", "relay", "ceilings", "tracing")


async def run(sizes: Sizes, sections: Sequence[str] = DEFAULT_SECTIONS) -> dict[str, Any]:
    """Every figure of one run, as JSON-ready data."""
    began = time.monotonic()
    machine = this_machine()
    stack = Stack()
    log_dir = stack.config.state_dir / "logs"
    figures: dict[str, Any] = {
        "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "commit": commit(REPO_ROOT),
        "machine": asdict(machine),
        "machine_line": machine.line(),
        "sizes": asdict(sizes),
    }
    started = await stack.up()
    try:
        async with load_gateway(stack, log_dir) as (gateway_url, gateway_pid):
            pids = {**stack_pids(stack), "gateway": gateway_pid}
            bench = Bench(stack, gateway_url, pids, sizes, log_dir)
            motion, _ = await wait_for_quiet(bench.deployment, sizes.quiet_timeout)
            if not motion.quiet:
                bench.notes.append(
                    f"the shop was not quiet when the run began: {motion.describe()}"
                )
            figures["memory_at_rest_mb"] = {name: s.pss_mb for name, s in sample(pids).items()}
            figures["seconds_per_section"] = {}
            for name in sections:
                print(f"measuring {name} ...", file=sys.stderr, flush=True)
                section_began = time.monotonic()
                figures[name] = await SECTIONS[name](bench)
                figures["seconds_per_section"][name] = time.monotonic() - section_began
            bench.notes.append(
                "Load goes through a gateway process of the bench's own, configured as the "
                "stack's (same environment and log level) with GATEWAY_RATE_LIMIT raised; it "
                "is the `gateway` row. The stack's own gateway idles and is not counted."
            )
            figures["notes"] = bench.notes
    finally:
        if started:
            stack.down([process.name for process in started])
    figures["duration_seconds"] = time.monotonic() - began
    return figures


def main(argv: list[str] | None = None) -> int:
    defaults = Sizes()
    parser = argparse.ArgumentParser(prog="python -m shopflow_benchmarks", description=__doc__)
    parser.add_argument(
        "--rate",
        type=float,
        default=defaults.saga_rate,
        help="sustained orders/s; the overload doubles it when the run has no search",
    )
    parser.add_argument("--duration", type=float, default=defaults.saga_seconds, help="seconds")
    parser.add_argument("--search-start", type=float, default=defaults.search_start)
    parser.add_argument("--search-steps", type=int, default=defaults.search_steps)
    parser.add_argument("--search-seconds", type=float, default=defaults.search_seconds)
    parser.add_argument(
        "--only",
        type=lambda text: text.replace("-", "_").split(","),
        default=list(DEFAULT_SECTIONS),
        help=f"sections, of {', '.join(SECTIONS)} (default: {', '.join(DEFAULT_SECTIONS)})",
    )
    parser.add_argument(
        "--tracing-rounds",
        type=int,
        default=defaults.tracing_rounds,
        help="rounds of orders of the tracing measurement (the median of the rounds is kept)",
    )
    parser.add_argument(
        "--tracing-read-rounds",
        type=int,
        default=defaults.tracing_read_rounds,
        help="rounds of reads of the tracing measurement, a few seconds each",
    )
    parser.add_argument("--smoke", action="store_true", help="every measurement, tiny")
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "benchmarks" / "results")
    parser.add_argument("--docs", type=Path, default=REPO_ROOT / "docs" / "benchmarks.md")
    parser.add_argument(
        "--no-docs",
        action="store_true",
        help="leave docs/benchmarks.md alone (as a run of some sections does)",
    )
    args = parser.parse_args(argv)
    if unknown := set(args.only) - SECTIONS.keys():
        parser.error(f"no section {', '.join(sorted(unknown))}; sections: {', '.join(SECTIONS)}")
    sizes = (
        SMOKE
        if args.smoke
        else replace(
            defaults,
            saga_rate=args.rate,
            saga_seconds=args.duration,
            search_start=args.search_start,
            search_steps=args.search_steps,
            search_seconds=args.search_seconds,
            tracing_rounds=args.tracing_rounds,
            tracing_read_rounds=args.tracing_read_rounds,
        )
    )
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    figures = uvloop.run(until_terminated(run(sizes, args.only)))
    print(markdown(figures))
    stamp = f"{datetime.now(UTC):%Y-%m-%dT%H%M}Z-{figures['commit']}"
    args.results.mkdir(parents=True, exist_ok=True)
    result = args.results / f"{stamp}.json"
    result.write_text(json.dumps(figures, indent=1, default=str) + "\n")
    print(f"figures: {result}")
    if args.no_docs or args.smoke:
        return 0
    if missing := [name for name in DEFAULT_SECTIONS if name not in args.only]:
        # Its latest run and its history are whole runs: a part would stand for one.
        print(f"{args.docs} left alone: the run left out {', '.join(missing)}")
    else:
        update_docs(args.docs, figures)
        print(f"updated {args.docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
