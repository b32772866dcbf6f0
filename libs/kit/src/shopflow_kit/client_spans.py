"""The client span of every HTTP call the kit's clients make, built only in a recorded trace.

Inside a trace nobody records (nine requests in ten at the default ratio) a call gets no
span: the current context goes out in `traceparent` as it is (the same trace, not
sampled), so the service called makes the same decision and its log lines keep the
trace id. Outside any trace nothing is sent, and the service called decides for itself.

Inside a recorded trace a call is a `CLIENT` span named after its method, with the HTTP
semantic conventions' attributes (method, server address and port, the URL without
credentials or signatures), the response's status code, and an error status on a 4xx, a
5xx or an exception. Each attempt is a span of its own: the retries are the caller's.

The kit made these spans with `opentelemetry-instrumentation-httpx` before; it normalises
every header and fills metrics attributes for a meter nobody set, 0.3 ms a call on this
machine where these spans cost 0.1 ms (docs/observability.md, "Tracing overhead").
"""

from __future__ import annotations

from typing import Any

import httpx
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, StatusCode

from shopflow_kit import attributes
from shopflow_kit.server_spans import (
    DEFAULT_PORTS,
    SCHEMA_URL,
    error_type,
    redacted_query,
    span_method,
)
from shopflow_kit.telemetry import in_recorded_trace, tracing_enabled


class TracedTransport(httpx.AsyncBaseTransport):
    """`transport`, each request sent through it a client span of the recorded trace it
    is sent in, and the trace carried on in `traceparent` in any case."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport
        self._tracer = trace.get_tracer("shopflow_kit.http_client", schema_url=SCHEMA_URL)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not in_recorded_trace():
            propagate.inject(request.headers)
            return await self._transport.handle_async_request(request)
        span = self._tracer.start_span(
            span_method(request.method), kind=SpanKind.CLIENT, attributes=_attributes(request)
        )
        with trace.use_span(span, end_on_exit=True, set_status_on_exception=False):
            propagate.inject(request.headers)
            try:
                response = await self._transport.handle_async_request(request)
            except Exception as exc:
                _failed(span, error_type(exc))
                raise
            span.set_attribute(attributes.HTTP_RESPONSE_STATUS_CODE, response.status_code)
            if response.status_code >= 400:
                _failed(span, str(response.status_code))
            return response

    async def aclose(self) -> None:
        await self._transport.aclose()


def _attributes(request: httpx.Request) -> dict[str, Any]:
    url = request.url
    return {
        attributes.HTTP_REQUEST_METHOD: request.method,
        attributes.SERVER_ADDRESS: url.host,
        attributes.SERVER_PORT: url.port or DEFAULT_PORTS.get(url.scheme, 80),
        attributes.URL_FULL: _full_url(url),
    }


def _full_url(url: httpx.URL) -> str:
    """`url` without credentials, its signatures redacted. Built again only when it has
    either: `copy_with` parses and validates the whole URL again, two fifths of the span."""
    if not url.userinfo and not url.query:
        return str(url)
    full = url.copy_with(username=None, password=None, query=None)
    if url.query:
        full = full.copy_with(query=redacted_query(url.query.decode("ascii")).encode("ascii"))
    return str(full)


def _failed(span: trace.Span, error: str) -> None:
    span.set_attribute(attributes.ERROR_TYPE, error)
    span.set_status(StatusCode.ERROR)


def traced_transport(transport: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
    """`transport` traced as above, unless tracing is off. Whatever pool is underneath
    (httpx's, aiohttp's) is traced once."""
    if not tracing_enabled():
        return transport
    return TracedTransport(transport)
