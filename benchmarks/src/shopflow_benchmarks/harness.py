"""What every measurement of a run shares: the stack, a gateway for load, the sizes, the clock.

The shop is measured as `make up` runs it, with one difference: load goes through a
gateway process of the bench's own, configured like the stack's (same program, same
environment, same log level) but with the per-customer rate limit raised by its setting
(GATEWAY_RATE_LIMIT), so that the limiter does not stand between the load and the saga.
The stack's own gateway is left as it is.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from shopflow_drills.deployment import Deployment
from shopflow_stack.apps import AppProcess
from shopflow_stack.stack import Stack

READY_WITHIN_SECONDS = 180  # a first start on a busy 2-core machine (imports, migrations)
UNLIMITED = '{"burst": 1000000, "per_second": 1000000}'
SERVICES = ("order", "inventory", "payment", "notification", "payment-provider")
SERVICE_APPS = {
    "order": "shopflow_benchmarks.order_app:order_app",
    "inventory": "shopflow_benchmarks.inventory_app:inventory_app",
}
"""The services a bench starts as readers of their own: uvicorn factories."""

T = TypeVar("T")


@dataclass(frozen=True)
class Sizes:
    """How long and how hard each measurement runs; `make bench` takes the defaults."""

    saga_rate: float = 10.0  # orders a second, sustained
    saga_seconds: float = 60.0
    search_start: float = 5.0  # the highest rate with p99 ≤ target: first rate tried
    search_steps: int = 5
    search_seconds: float = 20.0
    p99_target: float = 1.0
    read_seconds: float = 5.0
    read_connections: tuple[int, ...] = (4, 16)
    relay_backlog: int = 20_000
    relay_rate: int = 200
    relay_seconds: int = 10
    pgbench_seconds: int = 10
    kafka_messages: int = 500
    settle_seconds: float = 60.0
    quiet_timeout: float = 180.0
    tracing_seconds: float = 10.0
    tracing_connections: int = 16
    tracing_rounds: int = 2  # of orders: minutes each
    tracing_read_rounds: int = 6  # of reads, `tracing_seconds` each
    tracing_order_rate: float = 5.0
    tracing_order_seconds: float = 20.0
    tracing_modes: tuple[str, ...] = ("off", "default", "full")
    instruction_reads: int = 400  # per process and mode, under callgrind (`instructions`)
    tracing_idle_seconds: float = 5.0  # the processes' idle CPU, measured before a mode's orders
    # The services each tracing mode restarts with its variables (the bench's gateway always
    # runs the mode); the smoke restarts none: the stack's restart is tested on its own.
    tracing_services: tuple[str, ...] = SERVICES
    overload_factor: float = 2.0  # × the sustainable rate
    overload_seconds: float = 60.0
    overload_baseline_seconds: float = 10.0  # at the sustainable rate just before: normal
    overload_recovery_seconds: float = 20.0  # at the sustainable rate again, right after
    overload_recover_within: float = 10.0  # latency back to normal this long after the overload
    overload_attempts: int = 2  # a refused client tries once more, when Retry-After says


SMOKE = Sizes(
    saga_rate=5,
    saga_seconds=1,
    search_start=5,
    search_steps=1,
    search_seconds=1,
    read_seconds=1,
    read_connections=(2,),
    relay_backlog=200,
    relay_rate=20,
    relay_seconds=1,
    pgbench_seconds=1,
    kafka_messages=5,
    settle_seconds=30,
    quiet_timeout=60,
    tracing_seconds=1,
    tracing_connections=2,
    tracing_rounds=1,
    tracing_read_rounds=1,
    tracing_order_rate=5,
    tracing_order_seconds=1,
    # One mode, the bench gateway's alone: each mode is the same code under other OTEL_*
    # variables, and each a gateway start; restarting the services (for `off`, and back)
    # was most of the smoke's time, and the stack's restart of an app started with other
    # variables has a test of its own (deploy/local/tests/integration/test_stale_apps.py).
    tracing_modes=("off",),
    tracing_idle_seconds=1,
    tracing_services=(),
    overload_seconds=1,
    overload_baseline_seconds=1,
    overload_recovery_seconds=2,
    overload_recover_within=1,
)
"""Every measurement, tiny: `make test` runs it to prove the report has every figure."""


@dataclass
class Bench:
    stack: Stack
    gateway_url: str  # the bench's own gateway, rate limit raised
    pids: dict[str, int]  # every process measured, by name
    sizes: Sizes
    log_dir: Path
    notes: list[str] = field(default_factory=list)  # what a reader of the figures must know
    sustainable_rate: float | None = None  # the search's finding, which the overload doubles

    @property
    def deployment(self) -> Deployment:
        return Deployment.from_environment(
            {**self.stack.config.environment(), "SHOPFLOW_GATEWAY_URL": self.gateway_url}
        )

    def url(self, app: str) -> str:
        return self.stack.config.environment()[f"SHOPFLOW_{app.upper()}_URL"]


async def until_terminated(work: Coroutine[Any, Any, T]) -> T:
    """`work`, cancelled by SIGTERM as Ctrl-C cancels it: the `finally` blocks that stop what
    it started (the bench's gateway and readers, the stack processes it brought up) run as on
    a normal exit, and none is left running that `make down` does not know. Exits 143."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    terminated = False

    def terminate() -> None:
        nonlocal terminated
        terminated = True
        task.cancel()

    loop.add_signal_handler(signal.SIGTERM, terminate)
    try:
        return await task
    except asyncio.CancelledError:
        if terminated:
            raise SystemExit(128 + signal.SIGTERM) from None
        raise
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def server_process(
    argv: list[str], ready_url: str, log: Path, environment: Mapping[str, str] | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A server the bench starts, ready once `ready_url` answers 200; stopped afterwards."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            *argv, env={**os.environ, **(environment or {})}, stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + READY_WITHIN_SECONDS
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                if process.returncode is not None:
                    raise RuntimeError(f"{argv} exited with {process.returncode}; see {log}")
                try:
                    if (await client.get(ready_url)).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{ready_url} not ready after {READY_WITHIN_SECONDS} s; see {log}"
                    )
                await asyncio.sleep(0.1)
        yield process
    finally:
        if process.returncode is None:
            process.terminate()
            await asyncio.wait_for(process.wait(), 15)


def gateway_environment(stack: Stack, port: int, **overrides: str) -> dict[str, str]:
    """The stack's gateway environment, on another port, with `overrides` (GATEWAY_*)."""
    gateway = next(app for app in stack.apps if app.name == "gateway")
    assert isinstance(gateway, AppProcess)
    return {**gateway.environment(), "GATEWAY_PORT": str(port), **overrides}


@asynccontextmanager
async def load_gateway(
    stack: Stack, log_dir: Path, wrapper: Sequence[str] = (), **overrides: str
) -> AsyncIterator[tuple[str, int]]:
    """A gateway like the stack's, rate limit raised, run under `wrapper` (a command that
    runs the one after it, e.g. valgrind) if any; (its URL, its pid)."""
    port = free_port()
    environment = gateway_environment(stack, port, GATEWAY_RATE_LIMIT=UNLIMITED, **overrides)
    url = f"http://127.0.0.1:{port}"
    argv = [*wrapper, sys.executable, "-m", "shopflow_gateway"]
    async with server_process(
        argv, f"{url}/readyz", log_dir / f"bench-gateway-{port}.log", environment
    ) as process:
        yield url, process.pid


@asynccontextmanager
async def reader(
    stack: Stack, app: str, log: Path, overrides: Mapping[str, str], wrapper: Sequence[str] = ()
) -> AsyncIterator[tuple[str, int]]:
    """The stack's `app` service (a key of SERVICE_APPS) as one more process, without its
    background jobs (`--lifespan off`: no relay, consumer or sweeper, so only reads cost
    CPU), its environment with `overrides`, under `wrapper` if any; (its URL, its pid)."""
    port = free_port()
    service = next(process for process in stack.apps if process.name == app)
    assert isinstance(service, AppProcess)
    environment = {**service.environment(), f"{app.upper()}_PORT": str(port), **overrides}
    argv = [*wrapper, sys.executable, "-m", "uvicorn", SERVICE_APPS[app], "--factory"]
    # An access log line per request, as the service writes.
    argv += ["--port", str(port), "--lifespan", "off", "--log-level", "info"]
    url = f"http://127.0.0.1:{port}"
    async with server_process(argv, f"{url}/healthz", log, environment) as process:
        yield url, process.pid


def stack_pids(stack: Stack) -> dict[str, int]:
    """Each running process of the stack (its gateway aside: the bench measures its own)."""
    return {
        process.name: pid
        for process in stack.processes
        if process.name != "gateway" and (pid := process.pid()) is not None
    }
