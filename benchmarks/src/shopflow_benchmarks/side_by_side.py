"""Two versions of the order service's read, side by side: CPU per request, old and new.

`python -m shopflow_benchmarks.side_by_side --before main` (the stack running, `make up`):
the order service's code at `--before` (a `git archive` of it) and the working tree's are
started as two more order-service processes on the stack's own database and environment
(its tracing included), without their background jobs (`--lifespan off`: no relay, no
consumer, no sweeper, so only the reads are counted), and wrk reads
`GET /orders/{id}` of the same order from one, then the other, `--rounds` times.

On a shared machine the rates swing with the neighbours, but the CPU seconds a request
costs do not: each run reports req/s and CPU ms per request of the version's process and
of the order service's PostgreSQL (its postmaster and backends; the stack's own order
service polls it meanwhile, a few ms a second, counted in both versions alike).
`--set OTEL_SDK_DISABLED=true` (any NAME=VALUE, repeated) runs both with that variable:
what tracing costs each version.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import uvloop

from shopflow_benchmarks.harness import free_port, server_process, stack_pids
from shopflow_benchmarks.processes import sample
from shopflow_benchmarks.reads import CUSTOMER, one_order
from shopflow_benchmarks.wrk import wrk
from shopflow_kit.identity import Caller, ServiceTokens, bearer
from shopflow_kit.settings import SERVICE_TOKEN_SECRET_VARIABLE
from shopflow_stack.apps import AppProcess
from shopflow_stack.config import REPO_ROOT
from shopflow_stack.stack import Stack

SOURCES = ("services/order/src", "libs/kit/src", "libs/contracts/src")
"""What a version is made of: the order service and the libraries it imports."""


def _sources_at(ref: str, into: Path) -> Path:
    """The `SOURCES` of `ref`, unpacked under `into`."""
    archive = into / "sources.tar"
    subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "-o", str(archive), ref, *SOURCES], check=True
    )
    with tarfile.open(archive) as tar:
        tar.extractall(into / ref.replace("/", "-"), filter="data")
    return into / ref.replace("/", "-")


@asynccontextmanager
async def _order_service(
    stack: Stack, root: Path, label: str, log_dir: Path, overrides: Mapping[str, str]
) -> AsyncIterator[tuple[str, int]]:
    """An order service from the sources under `root` on the stack's database; (URL, pid)."""
    order = next(app for app in stack.apps if app.name == "order")
    assert isinstance(order, AppProcess)
    port = free_port()
    environment = {
        **order.environment(),
        "ORDER_PORT": str(port),
        # Before the workspace's editable installs: this version's packages win.
        "PYTHONPATH": os.pathsep.join(str(root / source) for source in SOURCES),
        **overrides,
    }
    argv = [sys.executable, "-m", "uvicorn", "shopflow_benchmarks.order_app:order_app"]
    argv += ["--factory", "--port", str(port), "--lifespan", "off"]
    argv += ["--log-level", "info"]  # an access log line per request, as the service has
    url = f"http://127.0.0.1:{port}"
    log = log_dir / f"side-by-side-{label}.log"
    async with server_process(argv, f"{url}/healthz", log, environment) as process:
        yield url, process.pid


async def compare(
    before: str,
    *,
    rounds: int,
    seconds: float,
    connections: int,
    overrides: Mapping[str, str],
) -> list[dict[str, float | str]]:
    stack = Stack()
    env = stack.config.environment()
    order_id = (await one_order(env["SHOPFLOW_GATEWAY_URL"]))[1]
    postgres = stack_pids(stack)["postgres-order"]
    tokens = ServiceTokens(env[SERVICE_TOKEN_SECRET_VARIABLE], issuer="bench")
    caller = Caller(CUSTOMER, frozenset({"customer"}))
    log_dir = stack.config.state_dir / "logs"
    runs: list[dict[str, float | str]] = []
    with tempfile.TemporaryDirectory(prefix="side-by-side-") as scratch:
        versions = {before: _sources_at(before, Path(scratch))}
        async with (
            _order_service(stack, versions[before], "before", log_dir, overrides) as old,
            _order_service(stack, REPO_ROOT, "after", log_dir, overrides) as new,
        ):
            for round_ in range(1, rounds + 1):
                for label, (url, pid) in ((before, old), ("working tree", new)):
                    target = f"{url}/orders/{order_id}"
                    headers = bearer(tokens.sign(caller, "order"))  # a token lasts a minute
                    await asyncio.to_thread(
                        wrk, target, connections=connections, seconds=1, headers=headers
                    )
                    measured = {"service": pid, "postgres": postgres}
                    start = sample(measured)
                    result = await asyncio.to_thread(
                        wrk, target, connections=connections, seconds=seconds, headers=headers
                    )
                    end = sample(measured)
                    if result.errors:
                        raise RuntimeError(f"{result.errors} failed reads of {target}")
                    per_request = {
                        name: 1000
                        * (end[name].cpu_seconds - start[name].cpu_seconds)
                        / max(result.requests, 1)
                        for name in measured
                    }
                    runs.append(
                        {
                            "version": label,
                            "round": round_,
                            "requests_per_second": result.requests_per_second,
                            "service_cpu_ms": per_request["service"],
                            "postgres_cpu_ms": per_request["postgres"],
                        }
                    )
                    print(_line(runs[-1]), flush=True)
    return runs


def _line(run: dict[str, float | str]) -> str:
    return (
        f"{run['version']:>14}  round {run['round']}  {run['requests_per_second']:8.0f} req/s  "
        f"order {run['service_cpu_ms']:6.2f} ms/req  postgres {run['postgres_cpu_ms']:5.2f} ms/req"
    )


def summary(runs: Sequence[dict[str, float | str]]) -> str:
    lines = ["median of the rounds:"]
    for version in dict.fromkeys(str(run["version"]) for run in runs):
        mine = [run for run in runs if run["version"] == version]

        def median(key: str, mine: list[dict[str, float | str]] = mine) -> float:
            return statistics.median(float(run[key]) for run in mine)

        lines.append(
            f"{version:>14}  {median('requests_per_second'):8.0f} req/s  order "
            f"{median('service_cpu_ms'):6.2f} ms/req  postgres {median('postgres_cpu_ms'):5.2f}"
            f" ms/req  (order ranges {min(float(r['service_cpu_ms']) for r in mine):.2f}–"
            f"{max(float(r['service_cpu_ms']) for r in mine):.2f})"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shopflow_benchmarks.side_by_side")
    parser.add_argument("--before", default="main", help="git ref of the old code (main)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0, help="per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="for both versions"
    )
    args = parser.parse_args(argv)
    overrides = dict(assignment.split("=", 1) for assignment in args.set)
    runs = uvloop.run(
        compare(
            args.before,
            rounds=args.rounds,
            seconds=args.seconds,
            connections=args.connections,
            overrides=overrides,
        )
    )
    print(summary(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
