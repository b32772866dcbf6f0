"""Liveness and readiness endpoints.

`/healthz` (liveness) answers as long as the process serves HTTP and none of its
background jobs has stopped for good; otherwise 503 `not-alive` naming them, so an
orchestrator restarts the process. `/readyz` runs the app's named readiness checks
concurrently, each under a timeout, and answers 503 `not-ready` naming every failure.
Later parts of a service add checks with `app.state.readiness.add(...)`; a check added
with `required=False` is reported, named, but never takes the instance out of rotation
(Kafka away: orders are refused at the door, reads still served).
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request, Response

from shopflow_kit.problems import NOT_ALIVE, NOT_READY, Problem

ReadinessCheck = Callable[[], Awaitable[None]]
"""Returns when the dependency is usable, raises when it is not."""

CHECK_PASSED = "ok"

Liveness = Callable[[], Mapping[str, str]]
"""What in the process stopped for good, by name, with why; empty while it is alive."""


class Readiness:
    """The named checks that must all pass before the app takes traffic."""

    def __init__(self, timeout_seconds: float) -> None:
        self.timeout_seconds = timeout_seconds
        self._checks: dict[str, ReadinessCheck] = {}
        self.reported_only: set[str] = set()

    def add(self, name: str, check: ReadinessCheck, *, required: bool = True) -> None:
        if name in self._checks:
            raise ValueError(f"readiness check {name!r} is already registered")
        self._checks[name] = check
        if not required:
            self.reported_only.add(name)

    async def run(self) -> dict[str, str]:
        """Each check's outcome: `ok`, or the error that made it fail."""
        outcomes = await asyncio.gather(*(self._run_one(check) for check in self._checks.values()))
        return dict(zip(self._checks, outcomes, strict=True))

    async def _run_one(self, check: ReadinessCheck) -> str:
        try:
            async with asyncio.timeout(self.timeout_seconds):
                await check()
        except TimeoutError:
            return f"timed out after {self.timeout_seconds}s"
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return CHECK_PASSED


health_router = APIRouter(include_in_schema=False)


@health_router.get("/healthz", response_model=None)
async def alive(request: Request) -> dict[str, str] | Response:
    liveness: Liveness = request.app.state.liveness
    stopped = liveness()
    if stopped:
        problem = Problem(NOT_ALIVE, f"stopped: {', '.join(sorted(stopped))}", stopped=stopped)
        return problem.response(instance=request.url.path)
    return {"status": "ok"}


@health_router.get("/readyz", response_model=None)
async def ready(request: Request) -> dict[str, Any] | Response:
    readiness: Readiness = request.app.state.readiness
    checks = await readiness.run()
    failed = sorted(
        name
        for name, outcome in checks.items()
        if outcome != CHECK_PASSED and name not in readiness.reported_only
    )
    if failed:
        problem = Problem(NOT_READY, f"failing: {', '.join(failed)}", checks=checks)
        return problem.response(instance=request.url.path)
    return {"status": "ready", "checks": checks}
