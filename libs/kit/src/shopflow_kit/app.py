"""The app factory: one call wires a ShopFlow service's HTTP surface and lifecycle.

A service's `app.py` reads as a table of contents:

    app = create_app(
        settings,
        title="ShopFlow payment service",
        routers=[api.router],
        database=database,
        metrics=metrics,
        background=messaging_jobs(database, settings, ...),  # the relay and the consumer
        on_shutdown=[provider.aclose],
    )
"""

import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import uvicorn
from fastapi import APIRouter, FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from shopflow_kit.background import BackgroundJob, BackgroundJobs
from shopflow_kit.body_limit import BodyLimitMiddleware
from shopflow_kit.checks import database_check
from shopflow_kit.db import Database
from shopflow_kit.health import Readiness, ReadinessCheck, health_router
from shopflow_kit.identity import ServiceTokens
from shopflow_kit.logging import configure_logging
from shopflow_kit.metrics import MetricsMiddleware, ServiceMetrics, metrics_router
from shopflow_kit.problem_handlers import install_problem_handlers
from shopflow_kit.problems import DEPENDENCY_UNAVAILABLE, documented_problems
from shopflow_kit.request_id import RequestIdMiddleware
from shopflow_kit.server_spans import ServerSpanMiddleware
from shopflow_kit.settings import ServiceSettings
from shopflow_kit.telemetry import (
    configure_tracing,
    fastapi_telemetry,
    trace_database,
    tracing_enabled,
)

logger = logging.getLogger(__name__)

LifecycleHook = Callable[[], Awaitable[None]]


def create_app(
    settings: ServiceSettings,
    *,
    title: str,
    version: str = "0.1.0",
    routers: Sequence[APIRouter] = (),
    database: Database | None = None,
    readiness: Mapping[str, ReadinessCheck] | None = None,
    background: Mapping[str, BackgroundJob] | None = None,
    on_startup: Sequence[LifecycleHook] = (),
    on_shutdown: Sequence[LifecycleHook] = (),
    metrics: ServiceMetrics | None = None,
) -> FastAPI:
    """A service app with JSON logs, traces, problem+json errors, request ids, metrics and probes.

    `database` gets a `database` readiness check, serves `DbSession` and is disposed on
    shutdown. Pass `metrics` when something built before the app (an `Upstream`) records
    on its registry. Each `background` job starts after `on_startup`, counts as a readiness check
    under its name, fails liveness if it stops on its own, and is cancelled on shutdown
    before `on_shutdown` runs.
    """
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name, version, settings.environment)
    jobs = BackgroundJobs(background or {})
    # The interactive docs are a development aid; /openapi.json is the contract and stays.
    docs = settings.environment != "production"
    app = FastAPI(
        title=title,
        version=version,
        lifespan=_lifespan(jobs, on_startup, on_shutdown),
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        telemetry=fastapi_telemetry(),
    )
    app.state.settings = settings
    app.state.service_tokens = ServiceTokens(
        settings.service_token_secret.get_secret_value(), issuer=settings.service_name
    )
    app.state.database = database
    app.state.metrics = metrics or ServiceMetrics()
    app.state.liveness = jobs.stopped
    app.state.readiness = Readiness(settings.readiness_timeout_seconds)
    if database is not None:
        app.state.readiness.add("database", database_check(database))
        trace_database(database)
    for name, check in (readiness or {}).items():
        app.state.readiness.add(name, check)
    for name in background or {}:
        app.state.readiness.add(name, jobs.check(name))
    # Innermost first: each middleware added wraps the ones added before it.
    install_problem_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(RequestIdMiddleware)
    if settings.trusted_proxies:  # every layer sees the client's own address
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    if tracing_enabled():  # outermost: the request's span covers every layer
        app.add_middleware(ServerSpanMiddleware)
    for router in (health_router, metrics_router):
        app.include_router(router)
    # Any route may find its database away: a 503 to retry later (see `dependencies`).
    unavailable = documented_problems(DEPENDENCY_UNAVAILABLE) if database is not None else {}
    for router in routers:
        app.include_router(router, responses=unavailable)
    return app


def _lifespan(
    jobs: BackgroundJobs,
    on_startup: Sequence[LifecycleHook],
    on_shutdown: Sequence[LifecycleHook],
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in on_startup:
            await hook()
        jobs.start()
        try:
            yield
        finally:
            await jobs.stop(app.state.settings.shutdown_timeout_seconds)
            for hook in on_shutdown:
                try:
                    await hook()
                except Exception:
                    logger.exception("shutdown hook %s failed", getattr(hook, "__qualname__", hook))
            if app.state.database is not None:
                await app.state.database.dispose()

    return lifespan


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run `app` under uvicorn with the kit's JSON logs and a graceful shutdown."""
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        log_level=settings.log_level.lower(),
        # The app believes X-Forwarded-For from its `trusted_proxies` only; uvicorn's own
        # default would believe it from 127.0.0.1, i.e. from any local process.
        proxy_headers=False,
        # uvicorn takes whole seconds; round up rather than cut the grace period short.
        timeout_graceful_shutdown=math.ceil(settings.shutdown_timeout_seconds),
    )
