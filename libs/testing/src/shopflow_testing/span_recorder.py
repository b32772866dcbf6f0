"""Spans the code under test finished, from the process's real tracer provider.

Tests cannot swap OpenTelemetry's global provider (it is set once per process), so one
in-memory exporter is added to it and emptied for each test. Spans are sampled under a
sampled parent whatever the process's ratio: tests start their traces from
`sampled_context()`.
"""

import random

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from shopflow_kit.telemetry import configure_tracing

_exporter: InMemorySpanExporter | None = None


def recorded_spans() -> InMemorySpanExporter:
    """The exporter of finished spans, emptied."""
    global _exporter
    if _exporter is None:
        configure_tracing("kit-test", "0", "test")  # a no-op once an app has done it
        provider = trace.get_tracer_provider()
        assert isinstance(provider, TracerProvider), "tracing is off (OTEL_SDK_DISABLED?)"
        _exporter = InMemorySpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(_exporter))
    _exporter.clear()
    return _exporter


def sampled_context() -> Context:
    """A context whose (remote) parent is sampled: spans started in it are recorded."""
    return _remote_parent(TraceFlags(TraceFlags.SAMPLED))


def unsampled_context() -> Context:
    """A context whose (remote) parent is not sampled: the nine requests in ten of the
    default ratio. Spans started in it are not recorded."""
    return _remote_parent(TraceFlags(TraceFlags.DEFAULT))


def _remote_parent(flags: TraceFlags) -> Context:
    parent = SpanContext(
        trace_id=random.getrandbits(128),
        span_id=random.getrandbits(64),
        is_remote=True,
        trace_flags=flags,
    )
    return trace.set_span_in_context(NonRecordingSpan(parent))


def traceparent(context: Context) -> str:
    """The W3C `traceparent` header a caller in `context` sends (sampled flag included)."""
    span = trace.get_current_span(context).get_span_context()
    return f"00-{span.trace_id:032x}-{span.span_id:016x}-{span.trace_flags:02x}"


def named(spans: tuple[ReadableSpan, ...], name: str) -> ReadableSpan:
    [span] = [s for s in spans if s.name == name]
    return span
