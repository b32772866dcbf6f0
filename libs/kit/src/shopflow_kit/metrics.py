"""Prometheus metrics: one registry per app, HTTP request instruments and `/metrics`.

Other parts of a service register their instruments on the same registry, made before
the app and handed to it (`create_app(..., metrics=metrics)`):

    metrics = ServiceMetrics()
    relay = OutboxRelay(database, servers, registry=metrics.registry)  # outbox_* metrics
"""

import time
from collections.abc import Callable
from weakref import WeakKeyDictionary

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.routing import iter_route_contexts
from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
)
from prometheus_client.exposition import choose_encoder
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED_ROUTE = "<unmatched>"
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds: a cached read takes milliseconds, a proxied call under faults up to its timeouts.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
REFUSED_STATUSES = frozenset({429, 503})


class ServiceMetrics:
    """A service's own registry, so several apps can live in one process (tests).

    It also carries the process's own figures (`process_*`: CPU, memory, open files;
    `python_*`: version, garbage collections), as the default registry would.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)
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
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.refused = Counter(
            "http_requests_refused_total",
            "Requests refused at the door with Retry-After (429 too many, 503 cannot finish "
            "in time): the client should come back. By status; routes are in http_requests.",
            ["status"],
            registry=self.registry,
        )
        for status in REFUSED_STATUSES:
            self.refused.labels(str(status))


def route_template(app: FastAPI, scope: Scope) -> str:
    """The template of the route serving `scope` (`/orders/{order_id}`), never the raw path."""
    return matched_route(app, scope) or UNMATCHED_ROUTE


def matched_route(app: FastAPI, scope: Scope) -> str | None:
    """The template of the route `scope` matches (or only by path, e.g. a 405), if any."""
    partial = None
    for matches, path_format in _route_table(app):
        match, _ = matches(scope)
        if match is Match.FULL:
            return path_format
        if match is Match.PARTIAL and partial is None:
            partial = path_format
    return partial


_RouteTable = tuple[tuple[Callable[[Scope], tuple[Match, Scope]], str | None], ...]
_ROUTE_TABLES: WeakKeyDictionary[FastAPI, tuple[int, _RouteTable]] = WeakKeyDictionary()


def _route_table(app: FastAPI) -> _RouteTable:
    """Each route's own `matches` and its full template, in the order the app tries them.

    Walking `iter_route_contexts` (which carries the full prefix of routes from included
    routers) and matching through its wrappers cost 50 us a request, asked twice when the
    request is traced; the routes' own `matches` cost a quarter of that. Built again
    whenever FastAPI counts a change of the app's routes.
    """
    version = app.router._get_routes_version()
    if (known := _ROUTE_TABLES.get(app)) is not None and known[0] == version:
        return known[1]
    # A RouteContext hands `matches` on to the route it stands for.
    table = tuple(
        (route.matches, route.path_format or None) for route in iter_route_contexts(app.routes)
    )
    _ROUTE_TABLES[app] = (version, table)
    return table


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
        retry_after = False
        started = time.perf_counter()

        async def send_recording_status(message: Message) -> None:
            nonlocal status, retry_after
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.get("headers", ())
                retry_after = any(name.lower() == b"retry-after" for name, _ in headers)
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            self.metrics.requests.labels(method, route, str(status)).inc()
            if retry_after and status in REFUSED_STATUSES:
                self.metrics.refused.labels(str(status)).inc()
            self.metrics.request_duration.labels(method, route).observe(
                time.perf_counter() - started
            )


metrics_router = APIRouter()


@metrics_router.get("/metrics", include_in_schema=False)
async def serve_metrics(request: Request) -> Response:
    """The app's registry in the exposition format the scraper asks for."""
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(request.app.state.metrics.registry), media_type=content_type)
