"""create_app's lifecycle: background jobs watched and cancelled, hooks, database disposal."""

import asyncio
import logging

import pytest

from shopflow_kit import PROBLEM_BASE, Database, create_app

pytestmark = pytest.mark.unit


class RecordingDatabase(Database):
    """A real (never connected) engine whose disposal is recorded."""

    def __init__(self, events: list[str]) -> None:
        super().__init__("postgresql+asyncpg://shop:flow@db.invalid/orders")
        self.events = events

    async def dispose(self) -> None:
        self.events.append("database disposed")
        await super().dispose()


async def test_crashed_background_job_is_logged_and_makes_app_unready(settings, client_for, caplog):
    async def relay() -> None:
        await asyncio.sleep(0)
        raise RuntimeError("broker went away")

    async def consumer() -> None:
        await asyncio.sleep(60)

    app = create_app(
        settings, title="jobs", background={"outbox-relay": relay, "consumer": consumer}
    )
    async with app.router.lifespan_context(app), client_for(app) as client:
        await asyncio.sleep(0.01)
        response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"] == {
        "outbox-relay": "JobStoppedError: crashed with RuntimeError: broker went away",
        "consumer": "ok",
    }
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "outbox-relay" in record.getMessage()
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "broker went away"


async def test_a_job_stopped_for_good_fails_liveness_so_the_process_is_restarted(
    settings, client_for
):
    relay_stopped, sweeper_stopped = asyncio.Event(), asyncio.Event()

    async def relay() -> None:
        try:
            raise RuntimeError("broker went away")
        finally:
            relay_stopped.set()

    async def consumer() -> None:
        await asyncio.sleep(60)

    async def sweeper() -> None:
        sweeper_stopped.set()

    jobs = {"outbox-relay": relay, "consumer": consumer, "sweeper": sweeper}
    app = create_app(settings, title="jobs", background=jobs)
    async with app.router.lifespan_context(app), client_for(app) as client:
        # A task is done in the same step that set its event, before this wakes up.
        await relay_stopped.wait()
        await sweeper_stopped.wait()
        response = await client.get("/healthz")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == PROBLEM_BASE + "not-alive"
    assert body["stopped"] == {
        "outbox-relay": "crashed with RuntimeError: broker went away",
        "sweeper": "returned",
    }


async def test_jobs_cancelled_by_shutdown_do_not_fail_liveness(settings):
    async def consumer() -> None:
        await asyncio.sleep(60)

    app = create_app(settings, title="jobs", background={"consumer": consumer})
    async with app.router.lifespan_context(app):
        assert app.state.liveness() == {}

    assert app.state.liveness() == {}


async def test_shutdown_cancels_jobs_then_runs_hooks_then_disposes_database(settings):
    events: list[str] = []

    async def consumer() -> None:
        events.append("job started")
        try:
            await asyncio.sleep(60)
        finally:
            events.append("job cancelled")

    async def start_producer() -> None:
        events.append("producer started")

    async def stop_producer() -> None:
        events.append("producer stopped")

    async def broken_hook() -> None:
        raise RuntimeError("flush failed")

    app = create_app(
        settings,
        title="lifecycle",
        database=RecordingDatabase(events),
        background={"consumer": consumer},
        on_startup=[start_producer],
        on_shutdown=[broken_hook, stop_producer],
    )
    async with app.router.lifespan_context(app):
        await asyncio.sleep(0)
        events.append("serving")

    assert events == [
        "producer started",
        "job started",
        "serving",
        "job cancelled",
        "producer stopped",
        "database disposed",
    ]


def test_database_is_a_readiness_check_and_on_app_state(settings):
    database = RecordingDatabase([])
    app = create_app(settings, title="state", database=database)

    assert app.state.settings is settings
    assert app.state.database is database
    with pytest.raises(ValueError, match="'database' is already registered"):
        app.state.readiness.add("database", database.ping)


@pytest.mark.parametrize(("environment", "docs"), [("production", 404), ("development", 200)])
async def test_interactive_docs_only_outside_production(settings, client_for, environment, docs):
    app = create_app(settings.model_copy(update={"environment": environment}), title="docs")

    async with client_for(app) as client:
        answers = [await client.get(path) for path in ("/docs", "/redoc", "/openapi.json")]

    assert [answer.status_code for answer in answers] == [docs, docs, 200]
