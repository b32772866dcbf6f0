"""The server span of every HTTP request: asked of the sampler first, built only if recorded.

Nine requests in ten are not sampled at the default ratio, and each of them still needs
a span context: it carries the trace on to the services it calls (`traceparent`, not
sampled, so they make the same decision) and puts the trace id in its log lines. That is
all such a request gets here: the incoming context extracted from the three headers the
propagators read, the sampler asked, the non-recording span it answers made current with
the client libraries' instrumentations suppressed, and the app called with the server's
own `receive` and `send`. A recorded request gets the
span FastAPI's own telemetry made (ADR 0024): named `METHOD /route/{template}`, kind
`SERVER`, the HTTP semantic conventions' attributes, an error status on a 5xx or an
exception. The sampler sees the span's name and kind, not its attributes (ours never
read them: ratio, parent-based, entry points).

Probes and scrapes (`UNTRACED_PATHS`) are not traced at all.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from opentelemetry import context, propagate, trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY
from opentelemetry.trace import Span, SpanKind, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shopflow_kit import attributes
from shopflow_kit.metrics import matched_route

UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
"""Probes and scrapes: frequent, uninteresting, and they would drown the real traces."""

SCHEMA_URL = "https://opentelemetry.io/schemas/1.44.0"
_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"}
)
DEFAULT_PORTS = {"http": 80, "https": 443}
# Query parameters the HTTP conventions say to redact: signatures and credentials in URLs.
_SECRET_QUERY_PARAMETERS = frozenset(
    {"X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "sig", "X-Goog-Signature"}
)


class ServerSpanMiddleware:
    """Makes each HTTP request a `SERVER` span, continuing the caller's trace if it sent one.

    Add it outermost, so the span covers what every other middleware does and is current
    when the server writes the access log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._tracer = trace.get_tracer("shopflow_kit.http", schema_url=SCHEMA_URL)
        self._carried = frozenset(
            field.encode("latin-1") for field in propagate.get_global_textmap().fields
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNTRACED_PATHS:
            await self.app(scope, receive, send)
            return
        carrier = self._carrier(scope)
        # Without a header to read, extracting would only hand back the current context.
        parent = propagate.extract(carrier) if carrier else None
        span = self._tracer.start_span(span_method(scope["method"]), parent, kind=SpanKind.SERVER)
        recorded = span.is_recording()
        current = trace.set_span_in_context(span, parent)
        if not recorded:
            # The client libraries' instrumentations (Redis's) stand aside at once: they
            # would format each command and name a span the tracer then declines. Set in
            # the span's context, not by `suppress_instrumentation()`: one context attached.
            current = context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True, current)
        token = context.attach(current)
        try:
            if recorded:
                await self._recorded(span, scope, receive, send)
            else:
                await self.app(scope, receive, send)
        finally:
            context.detach(token)

    def _carrier(self, scope: Scope) -> dict[str, list[str]]:
        """The request's headers the propagators read (`traceparent`, `tracestate`, `baggage`)."""
        carrier: dict[str, list[str]] = {}
        for name, value in scope["headers"]:
            if name in self._carried:
                carrier.setdefault(name.decode("latin-1"), []).append(value.decode("latin-1"))
        if len(baggage := carrier.get("baggage", ())) > 1:
            carrier["baggage"] = [",".join(baggage)]  # the propagator reads the first only
        return carrier

    async def _recorded(self, span: Span, scope: Scope, receive: Receive, send: Send) -> None:
        found = _request_attributes(scope)
        if (route := matched_route(scope["app"], scope)) is not None:
            span.update_name(f"{span_method(scope['method'])} {route}")
            found[attributes.HTTP_ROUTE] = route
        span.set_attributes(found)  # at once: the span and its attributes take a lock per call
        status: int | None = None

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        error: str | None = None
        try:
            await self.app(scope, receive, send_noting_status)
        except BaseException as exc:
            error = error_type(exc)
            raise
        finally:
            if status is not None:
                span.set_attribute(attributes.HTTP_RESPONSE_STATUS_CODE, status)
            if error is None and (status is None or status >= 500):
                error = str(status) if status is not None else "incomplete_response"
            if error is not None:
                span.set_attribute(attributes.ERROR_TYPE, error)
                span.set_status(StatusCode.ERROR)
            span.end()


def span_method(method: str) -> str:
    """The method as a span name starts: a method the conventions do not know is `HTTP`."""
    return method if method in _METHODS else "HTTP"


def _request_attributes(scope: Scope) -> dict[str, Any]:
    method: str = scope["method"]
    found: dict[str, Any] = {
        attributes.URL_SCHEME: scope.get("scheme", "http"),
        attributes.HTTP_REQUEST_METHOD: method if method in _METHODS else "_OTHER",
        attributes.URL_PATH: scope["path"],
        **_server_address(scope),
    }
    if method not in _METHODS:
        found[attributes.HTTP_REQUEST_METHOD_ORIGINAL] = method
    if version := scope.get("http_version"):
        found[attributes.NETWORK_PROTOCOL_VERSION] = version
    if query := scope.get("query_string"):
        found[attributes.URL_QUERY] = redacted_query(query.decode("latin-1"))
    return found


def _server_address(scope: Scope) -> dict[str, Any]:
    """`server.address`/`server.port` from the Host header (the server's socket without one)."""
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    if host is None:
        address, port = scope.get("server") or (None, None)
    else:
        try:
            authority = urlsplit("//" + host.decode("latin-1"))
            address, port = authority.hostname, authority.port
        except ValueError:  # a malformed Host is the client's problem, not the span's
            return {}
        port = port or DEFAULT_PORTS.get(scope.get("scheme", "http"))
    found: dict[str, Any] = {}
    if address is not None:
        found[attributes.SERVER_ADDRESS] = address
        if port is not None:
            found[attributes.SERVER_PORT] = port
    return found


def redacted_query(query: str) -> str:
    """`query` with the values the HTTP conventions say to redact replaced."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, "REDACTED" if k in _SECRET_QUERY_PARAMETERS else v) for k, v in pairs])


def error_type(exc: BaseException) -> str:
    """`error.type` for an exception: its qualified class name."""
    kind = type(exc)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"
