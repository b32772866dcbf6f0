"""Two versions of one read path, side by side: CPU per request, old and new.

`python -m shopflow_benchmarks.side_by_side [--app order|inventory|gateway] --before main`
(the stack running, `make up`): the app's code at `--before` (a `git archive` of it) and the
working tree's are started as two more processes of the stack, with its environment (its
tracing included), and wrk reads from one, then the other, `--rounds` times: one order,
`GET /orders/{id}`, on an order service, or one product, `GET /products/{sku}`, on an
inventory service (either without its background jobs, `--lifespan off`: no relay,
consumer or sweeper, only reads are counted), or `GET /api/v1/orders/{id}` through a
gateway (rate limit raised, as the bench's own) to the stack's order service.

On a shared machine the rates swing with the neighbours, but the CPU seconds a request
costs do not: each run reports req/s and CPU ms per request of the version's process and
of what the read reaches next, the same process for both versions (the service's
PostgreSQL, its postmaster and backends; or the stack's order service).
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

import httpx
import uvloop

from shopflow_benchmarks.harness import (
    SERVICE_APPS,
    UNLIMITED,
    free_port,
    gateway_environment,
    reader,
    server_process,
    stack_pids,
)
from shopflow_benchmarks.processes import sample
from shopflow_benchmarks.reads import CUSTOMER, one_order
from shopflow_benchmarks.wrk import wrk
from shopflow_kit.identity import Caller, ServiceTokens, bearer
from shopflow_kit.settings import SERVICE_TOKEN_SECRET_VARIABLE
from shopflow_stack.config import REPO_ROOT
from shopflow_stack.stack import Stack

SOURCES = (
    "services/order/src",
    "services/inventory/src",
    "gateway/src",
    "libs/kit/src",
    "libs/contracts/src",
)
"""What a version is made of: the apps and the libraries they import."""
DOWNSTREAM = {"order": "postgres-order", "inventory": "postgres-inventory", "gateway": "order"}
"""What each app's read reaches next, measured alongside (the same process for both)."""


async def _a_sku(gateway: str) -> str:
    """The catalogue's first product: a read of one row, never cached by the service."""
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        answer = await client.get("/api/v1/products")
        answer.raise_for_status()
        sku: str = answer.json()[0]["sku"]
    return sku


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
async def _app(
    stack: Stack, app: str, root: Path, label: str, overrides: Mapping[str, str]
) -> AsyncIterator[tuple[str, int]]:
    """The `app` (order, inventory, gateway) from the sources under `root`, on the stack;
    (URL, pid). A service runs without its background jobs; the gateway as the bench's
    own, its rate limit raised."""
    # Before the workspace's editable installs: this version's packages win.
    path = {"PYTHONPATH": os.pathsep.join(str(root / source) for source in SOURCES)}
    log = stack.config.state_dir / "logs" / f"side-by-side-{app}-{label}.log"
    if app in SERVICE_APPS:
        async with reader(stack, app, log, {**path, **overrides}) as found:
            yield found
        return
    port = free_port()
    environment = gateway_environment(stack, port, GATEWAY_RATE_LIMIT=UNLIMITED)
    url = f"http://127.0.0.1:{port}"
    async with server_process(
        [sys.executable, "-m", "shopflow_gateway"],
        f"{url}/healthz",
        log,
        {**environment, **path, **overrides},
    ) as process:
        yield url, process.pid


async def compare(
    app: str,
    before: str,
    *,
    rounds: int,
    seconds: float,
    connections: int,
    overrides: Mapping[str, str],
) -> list[dict[str, float | str]]:
    stack = Stack()
    env = stack.config.environment()
    access_token, order_id = await one_order(env["SHOPFLOW_GATEWAY_URL"])
    downstream = DOWNSTREAM[app]
    tokens = ServiceTokens(env[SERVICE_TOKEN_SECRET_VARIABLE], issuer="bench")
    caller = Caller(CUSTOMER, frozenset({"customer"}))
    path = {
        "order": f"/orders/{order_id}",
        "inventory": f"/products/{await _a_sku(env['SHOPFLOW_GATEWAY_URL'])}",
        "gateway": f"/api/v1/orders/{order_id}",
    }[app]
    runs: list[dict[str, float | str]] = []
    with tempfile.TemporaryDirectory(prefix="side-by-side-") as scratch:
        old_sources = _sources_at(before, Path(scratch))
        async with (
            _app(stack, app, old_sources, "before", overrides) as old,
            _app(stack, app, REPO_ROOT, "after", overrides) as new,
        ):
            for round_ in range(1, rounds + 1):
                for label, (url, pid) in ((before, old), ("working tree", new)):
                    # A service token lasts a minute: signed afresh for each run.
                    token = access_token if app == "gateway" else tokens.sign(caller, app)
                    measured = {app: pid, downstream: stack_pids(stack)[downstream]}
                    run = await _run(f"{url}{path}", bearer(token), measured, seconds, connections)
                    runs.append({"version": label, "round": round_, **run})
                    print(_line(runs[-1]), flush=True)
    return runs


async def _run(
    target: str,
    headers: Mapping[str, str],
    measured: Mapping[str, int],
    seconds: float,
    connections: int,
) -> dict[str, float]:
    """wrk's rate on `target` and the CPU ms per request of each `measured` process."""
    await asyncio.to_thread(wrk, target, connections=connections, seconds=1, headers=headers)
    start = sample(measured)
    result = await asyncio.to_thread(
        wrk, target, connections=connections, seconds=seconds, headers=headers
    )
    end = sample(measured)
    if result.errors:
        raise RuntimeError(f"{result.errors} failed reads of {target}")
    requests = max(result.requests, 1)
    return {
        "requests_per_second": result.requests_per_second,
        **{
            f"{name} cpu_ms": 1000 * (end[name].cpu_seconds - start[name].cpu_seconds) / requests
            for name in measured
        },
    }


def _figures(run: Mapping[str, float | str]) -> str:
    cpu = [
        f"{name.removesuffix(' cpu_ms')} {float(value):5.2f}"
        for name, value in run.items()
        if name.endswith("cpu_ms")
    ]
    return f"{float(run['requests_per_second']):6.0f} req/s  CPU ms/request: {', '.join(cpu)}"


def _line(run: Mapping[str, float | str]) -> str:
    return f"{run['version']:>14}  round {run['round']}  {_figures(run)}"


def summary(runs: Sequence[Mapping[str, float | str]]) -> str:
    """The median of each figure over the rounds, by version."""
    lines = ["median of the rounds:"]
    for version in dict.fromkeys(str(run["version"]) for run in runs):
        mine = [run for run in runs if run["version"] == version]
        keys = [key for key in mine[0] if key not in ("version", "round")]
        medians = {key: statistics.median(float(run[key]) for run in mine) for key in keys}
        lines.append(f"{version:>14}           {_figures(medians)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shopflow_benchmarks.side_by_side")
    parser.add_argument("--app", choices=sorted(DOWNSTREAM), default="order")
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
            args.app,
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
