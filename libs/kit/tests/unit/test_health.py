"""Liveness and the /readyz aggregation of named checks under a timeout."""

import asyncio

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
        response = await client.get("/readyz")

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


async def test_checks_run_concurrently(settings, client_for):
    """Each check waits until every other has started: run one after the other, the first
    would wait in vain and time out."""
    names = ("database", "redis", "kafka")
    started = {name: asyncio.Event() for name in names}

    def meeting(name: str):
        async def check() -> None:
            started[name].set()
            await asyncio.gather(*(event.wait() for event in started.values()))

        return check

    app = create_app(settings, title="health", readiness={n: meeting(n) for n in names})
    async with client_for(app) as client:
        response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == dict.fromkeys(names, "ok")
