"""Tracing, set up once per process from the standard `OTEL_*` variables.

`create_app` calls `configure_tracing`; everything else finds the global tracer provider.
What is traced: HTTP requests (`server_spans`, health and metrics routes left out), calls
made through the kit's HTTP clients (`client_spans`), SQL statements (`trace_database`),
Redis commands, and each Kafka hop (the relay and consumer spans, see `messaging.tracing`).

Inside a trace that is not recorded (nine requests in ten at the default ratio), the
client libraries' spans are not made at all: a SQL statement, a Redis command or an HTTP
call under an unrecorded parent would only ever be an unrecorded span too, and making it
(its attributes, the statement's operation name, its ids, the sampler's say) is most of
what tracing costs a request nobody will look at. The HTTP call still carries the trace
on (`traceparent`, not sampled), so the services downstream make the same decision and
their log lines keep the trace id.

The switches are OpenTelemetry's own:
- `OTEL_SDK_DISABLED=true`: no tracing at all (no spans, no trace ids in logs);
- `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`: default `parentbased_traceidratio`
  at `DEFAULT_SAMPLE_RATIO`; the local stack samples everything (`1.0`);
- `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`): where spans go, OTLP over HTTP;
  unset, spans are made (trace ids still join logs across services) but sent nowhere;
- `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_BSP_*` as usual.

One provider per process: the first app configured names the resource (tests build
several apps in one process; a deployed process runs one).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from shopflow_kit.db import Database

logger = logging.getLogger(__name__)

DEFAULT_SAMPLER = "parentbased_traceidratio"
DEFAULT_SAMPLE_RATIO = 0.1
"""One trace in ten by default: cheap enough to leave on (see the tracing ADR's figures)."""

ENTRY_KINDS = frozenset({SpanKind.SERVER, SpanKind.CONSUMER, SpanKind.PRODUCER})
"""Kinds of span that may start a trace; see `EntryPointRoots`."""


def tracing_enabled() -> bool:
    return os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() != "true"


def configure_tracing(service_name: str, version: str, environment: str) -> bool:
    """Install the process's tracer provider, once; False if tracing is off or was set up."""
    if not tracing_enabled() or isinstance(trace.get_tracer_provider(), TracerProvider):
        return False
    provider = TracerProvider(
        resource=tracing_resource(service_name, version, environment),
        sampler=sampler_from_environment(),
    )
    if _exporter_endpoint():
        # Imported here: the exporter pulls in protobuf, which a process without one never needs.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    RedisInstrumentor().instrument(tracer_provider=RecordedTracesOnly(provider))
    logger.info(
        "tracing on: sampler %s, exporting to %s",
        provider.sampler.get_description(),
        _exporter_endpoint() or "nowhere (OTEL_EXPORTER_OTLP_ENDPOINT unset)",
    )
    return True


def tracing_resource(service_name: str, version: str, environment: str) -> Resource:
    """Who makes the spans; `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` win."""
    resource = Resource.create(
        {
            "service.name": service_name,
            "service.namespace": "shopflow",
            "service.version": version,
            "deployment.environment.name": environment,
        }
    )
    return _HashedOnce(resource.attributes, resource.schema_url)


class _HashedOnce(Resource):
    """A resource whose hash is worked out once. The OTLP exporter groups the spans it
    encodes by resource and hashes each span's: a sorted JSON dump of its attributes every
    time, 40 k instructions a span, a seventh of encoding it. A resource never changes."""

    @cached_property
    def _hash(self) -> int:
        return super().__hash__()

    def __hash__(self) -> int:
        return self._hash


def _exporter_endpoint() -> str | None:
    if os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
        return None
    return os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )


def sampler_from_environment() -> Sampler:
    """The sampler `OTEL_TRACES_SAMPLER`/`_ARG` name, started traces limited to entry points."""
    name = os.environ.get("OTEL_TRACES_SAMPLER", DEFAULT_SAMPLER).strip().lower()
    argument = os.environ.get("OTEL_TRACES_SAMPLER_ARG", "").strip()
    ratio = float(argument) if argument else DEFAULT_SAMPLE_RATIO
    roots: dict[str, Sampler] = {
        "always_on": ALWAYS_ON,
        "always_off": ALWAYS_OFF,
        "traceidratio": TraceIdRatioBased(ratio),
    }
    parent_based = name.startswith("parentbased_")
    root = roots.get(name.removeprefix("parentbased_"))
    if root is None:
        known = ", ".join([*roots, *(f"parentbased_{r}" for r in roots)])
        raise ValueError(f"OTEL_TRACES_SAMPLER={name!r} is not one of {known}")
    return EntryPointRoots(ParentBased(root) if parent_based else root)


class EntryPointRoots(Sampler):
    """Lets only requests, messages and publishes start a trace; defers the rest to `delegate`.

    A SQL statement or a Redis command with no span around it is a background loop
    polling (the relay, the deadline sweeper, a readiness probe): alone, it would be a
    trace of one span every second. Spans inside a trace are unaffected.
    """

    def __init__(self, delegate: Sampler) -> None:
        self.delegate = delegate

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if kind not in ENTRY_KINDS:  # an entry point needs no look at its parent here
            parent = trace.get_current_span(parent_context).get_span_context()
            if not parent.is_valid:
                return SamplingResult(Decision.DROP)
        return self.delegate.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"EntryPointRoots{{{self.delegate.get_description()}}}"


def fastapi_telemetry() -> TelemetryConfig:
    """FastAPI's own telemetry, all off: the kit's `ServerSpanMiddleware` makes the request
    spans (ADR 0024) and its middleware the Prometheus `http_*` metrics.

    FastAPI's span builds its attributes before the sampler is asked and walks the
    middleware stack on every request, a cost the nine requests in ten nobody samples paid.
    """
    return {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def tag_current_span(name: str, value: str | int) -> None:
    """Set attribute `name` (see `shopflow_kit.attributes`) on the span in progress, if any."""
    trace.get_current_span().set_attribute(name, value)


def in_recorded_trace(context: Context | None = None) -> bool:
    """True inside a sampled trace, whose spans are recorded (the parent-based samplers
    record a span when its parent was)."""
    return bool(trace.get_current_span(context).get_span_context().trace_flags.sampled)


def in_unrecorded_trace(context: Context | None = None) -> bool:
    """True inside a trace that is not sampled: a client span made here would be dropped
    unseen. False inside a sampled trace, and outside any trace (where the sampler
    decides, see `EntryPointRoots`)."""
    span = trace.get_current_span(context).get_span_context()
    return span.is_valid and not span.trace_flags.sampled


class RecordedTracesOnly(trace.TracerProvider):
    """`provider`'s tracers, except that inside an unrecorded trace a span is not made:
    the current one is handed back (its context, not recording). For instrumentations
    that have no cheaper switch (Redis)."""

    def __init__(self, provider: trace.TracerProvider) -> None:
        self._provider = provider

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return _RecordedTracesOnlyTracer(self._provider.get_tracer(*args, **kwargs))


class _RecordedTracesOnlyTracer(trace.Tracer):
    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    def start_span(
        self, name: str, context: Context | None = None, *args: Any, **kwargs: Any
    ) -> trace.Span:
        if in_unrecorded_trace(context):
            return trace.NonRecordingSpan(trace.get_current_span(context).get_span_context())
        return self._tracer.start_span(name, context, *args, **kwargs)

    @contextmanager
    def start_as_current_span(  # type: ignore[override]
        self, name: str, context: Context | None = None, *args: Any, **kwargs: Any
    ) -> Iterator[trace.Span]:
        if in_unrecorded_trace(context):
            yield trace.NonRecordingSpan(trace.get_current_span(context).get_span_context())
            return
        with self._tracer.start_as_current_span(name, context, *args, **kwargs) as span:
            yield span


_POOL_EVENTS = frozenset({"connect", "close", "checkin", "checkout"})
"""The SQLAlchemy instrumentation's listeners on the pool: a connection-usage metric."""


class _StatementTracer(EngineTracer):
    """The SQLAlchemy instrumentation's statement spans, made inside a recorded trace only
    (it works out a statement's attributes and operation name before asking whether anyone
    records it), and without its connection-usage metric (kept by listeners on the pool,
    which every engine on that pool would then dispatch to; our pools are measured by
    `metrics`)."""

    def _before_cur_exec(self, conn: Any, cursor: Any, statement: str, *args: Any) -> Any:
        if not in_recorded_trace():
            return statement, args[0]
        return super()._before_cur_exec(conn, cursor, statement, *args)  # type: ignore[no-untyped-call]

    @classmethod
    def _register_event_listener(cls, target: Any, identifier: str, *args: Any, **kw: Any) -> None:
        if identifier in _POOL_EVENTS:
            return
        super()._register_event_listener(target, identifier, *args, **kw)  # type: ignore[no-untyped-call]


def trace_database(database: Database) -> None:
    """A span for every statement `database` runs inside a recorded trace.

    The spans come from listeners on an engine of their own, on the same pool, which
    `database` draws through unless the transaction opens inside a trace nobody records:
    there (nine requests in ten at the default ratio, and the messages of such traces)
    SQLAlchemy finds no listener and skips its event dispatch, the largest part of what
    tracing cost an unsampled read. A transaction opened outside any trace (a background
    loop's, or messages handled together, each in its own span) goes through the traced
    engine, whose listener looks at each statement's trace."""
    if not tracing_enabled():
        return
    traced = database.engine.execution_options()
    tracer = trace.get_tracer("shopflow_kit.db")
    _StatementTracer(tracer, traced.sync_engine, None)  # type: ignore[no-untyped-call]
    database.divert(traced, when=lambda: not in_unrecorded_trace())
