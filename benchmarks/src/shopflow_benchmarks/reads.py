"""One plain read, from a bare app up to the same order through the gateway, with wrk.

The rungs, each in the same run so their ratios mean something:
1. a bare FastAPI hello-world on uvicorn (uvloop, httptools, no access log): the ceiling
   of a Python handler on this machine;
2. the order service's `/healthz`: the service's own stack of middleware, no database;
3. `GET /orders/{id}` of one order straight on the order service (a service token signed
   as the gateway would, verified by the service);
4. the same order as `GET /api/v1/orders/{id}` through the bench's gateway (a bearer token).

Each row also says what a request cost in CPU (/proc, as `processes` counts it) of each
process it reaches: the app, the order service and its PostgreSQL, the gateway. Wall-clock
rates move with whatever else the machine runs; CPU per request hardly does.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import aiohttp

from shopflow_benchmarks.harness import Bench, free_port, server_process
from shopflow_benchmarks.processes import sample
from shopflow_benchmarks.wrk import wrk
from shopflow_drills.load import LoadPlan, place_orders
from shopflow_kit.identity import Caller, ServiceTokens, bearer
from shopflow_kit.settings import SERVICE_TOKEN_SECRET_VARIABLE

CUSTOMER = "alice"


async def reads(bench: Bench) -> dict[str, Any]:
    sizes = bench.sizes
    token, order_id = await one_order(bench.gateway_url)
    order = bench.url("order")
    widest = max(sizes.read_connections)

    async def measure(
        url: str,
        connections: int,
        reached: Mapping[str, int],
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """wrk's figures, and `cpu_ms_per_request` of each process `reached` (name: pid)."""
        before = sample(reached)
        result = await asyncio.to_thread(
            wrk, url, connections=connections, seconds=sizes.read_seconds, headers=headers
        )
        after = sample(reached)
        spent = {name: after[name].cpu_seconds - before[name].cpu_seconds for name in reached}
        requests = max(result.requests, 1)
        cpu = {name: 1000 * seconds / requests for name, seconds in spent.items()}
        return {**asdict(result), "cpu_ms_per_request": cpu}

    service = {name: bench.pids[name] for name in ("order", "postgres-order")}

    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "shopflow_benchmarks.bare_app:app",
        "--port",
        str(port),
    ]
    argv += ["--no-access-log", "--log-level", "warning"]
    bare_url = f"http://127.0.0.1:{port}/"
    log = bench.log_dir / "bench-bare-app.log"
    async with server_process(argv, bare_url, log) as bare_app:
        await measure(bare_url, widest, {})  # a first run warms what is lazy
        bare = await measure(bare_url, widest, {"bare app": bare_app.pid})
    healthz = await measure(f"{order}/healthz", widest, {"order": bench.pids["order"]})
    tokens = ServiceTokens(
        bench.stack.config.environment()[SERVICE_TOKEN_SECRET_VARIABLE], issuer="bench"
    )
    caller = Caller(CUSTOMER, frozenset({"customer"}))
    rows = []
    for connections in sizes.read_connections:
        # Signed afresh for each run: a service token lasts a minute.
        direct_headers = bearer(tokens.sign(caller, "order"))
        direct = await measure(f"{order}/orders/{order_id}", connections, service, direct_headers)
        via = await measure(
            f"{bench.gateway_url}/api/v1/orders/{order_id}",
            connections,
            {"gateway": bench.pids["gateway"], **service},
            {"Authorization": f"Bearer {token}"},
        )
        rows.append(
            {
                "connections": connections,
                "direct": direct,
                "gateway": via,
                "gateway_share": via["requests_per_second"] / direct["requests_per_second"],
            }
        )
    return {
        "seconds": sizes.read_seconds,
        "bare_app": {"connections": widest, **bare},
        "order_healthz": {"connections": widest, **healthz},
        "get_order": rows,
    }


async def one_order(gateway: str) -> tuple[str, str]:
    """A bearer token for the customer, and one order of theirs (on a product of its own)."""
    plan = LoadPlan(gateway, rate=1, duration=1, mix={"approved": 1}, users=(CUSTOMER,))
    record = await place_orders(plan)
    order_id = record.orders[0].order_id
    if order_id is None:
        raise RuntimeError(f"the gateway refused the order to read: {record.orders[0].attempts}")
    async with aiohttp.ClientSession(base_url=gateway) as session:
        body = {"username": CUSTOMER, "password": plan.password(CUSTOMER)}
        async with session.post("/auth/token", json=body) as response:
            response.raise_for_status()
            token: str = (await response.json())["access_token"]
    return token, order_id
