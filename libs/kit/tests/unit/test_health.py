"""Liveness and the /readyz aggregation of named checks under a timeout."""

import asyncio
import time

import pytest

from shopflow_kit import PROBLEM_BASE, create_app

pytestmark = pytest.mark.unit


async def passes() -> None:
    return None


async def refuses() -> None:
    raise ConnectionRefusedError("redis:6379 refused")


async def hangs() -> None:
    await asyncio.sleep(60)


async def test_liveness_needs_no_dependency(settings, client_for):
    app = create_app(settings, title="health", readiness={"redis": refuses})
    async with client_for(app) as client:
        response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_when_every_check_passes(settings, client_for):
    app = create_app(settings, title="health", readiness={"redis": passes, "kafka": passes})
    async with client_for(app) as client:
        response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"redis": "ok", "kafka": "ok"}}


async def test_failing_and_hanging_checks_are_named_within_the_timeout(settings, client_for):
    checks = {"database": passes, "redis": refuses, "kafka": hangs, "search": hangs}
    app = create_app(settings, title="health", readiness=checks)
    async with client_for(app) as client:
        started = time.monotonic()
        response = await client.get("/readyz")
        elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == PROBLEM_BASE + "not-ready"
    assert body["checks"] == {
        "database": "ok",
        "redis": "ConnectionRefusedError: redis:6379 refused",
        "kafka": "timed out after 0.2s",
        "search": "timed out after 0.2s",
    }
    # Two hanging checks finishing in under twice the timeout means they ran concurrently.
    assert elapsed < 2 * settings.readiness_timeout_seconds
