"""Prometheus metrics: one registry per app, HTTP request instruments and `/metrics`.

Other parts of a service register their instruments on the same registry:

    Counter("outbox_published_total", "...", registry=app.state.metrics.registry)
"""

import time

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.routing import iter_route_contexts
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED_ROUTE = "<unmatched>"
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ServiceMetrics:
    """A service's own registry, so several apps can live in one process (tests)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests answered, by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_duration = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["method", "route"],
            registry=self.registry,
        )


def route_template(app: FastAPI, scope: Scope) -> str:
    """The template of the route serving `scope` (`/orders/{order_id}`), never the raw path."""
    partial = None
    # iter_route_contexts carries the full prefix of routes from included routers.
    for route in iter_route_contexts(app.routes):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route.path_format or UNMATCHED_ROUTE
        if match is Match.PARTIAL and partial is None:
            partial = route.path_format
    return partial or UNMATCHED_ROUTE


class MetricsMiddleware:
    """Counts and times every HTTP request, labelled by method, route template and status."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"] if scope["method"] in _KNOWN_METHODS else "OTHER"
        route = route_template(scope["app"], scope)
        status = 500
        started = time.perf_counter()

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.request_duration.labels(method, route).observe(
                time.perf_counter() - started
            )


metrics_router = APIRouter()


@metrics_router.get("/metrics", include_in_schema=False)
async def serve_metrics(request: Request) -> Response:
    """The app's registry in the exposition format the scraper asks for."""
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(request.app.state.metrics.registry), media_type=content_type)
