"""Tracing: the sampler the environment asks for, the resource, and client spans that carry
the trace on (request spans: test_server_spans)."""

import httpx
import pytest
from opentelemetry import context, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.sampling import Decision
from opentelemetry.trace import SpanKind

from shopflow_kit import Upstream
from shopflow_kit.telemetry import (
    DEFAULT_SAMPLE_RATIO,
    RecordedTracesOnly,
    sampler_from_environment,
    tracing_resource,
)
from shopflow_testing.span_recorder import named, sampled_context, unsampled_context

pytestmark = pytest.mark.unit

NO_PARENT = context.Context()


@pytest.fixture
def sampler_env(monkeypatch):
    def set_env(sampler: str | None, argument: str | None = None):
        for name, value in (
            ("OTEL_TRACES_SAMPLER", sampler),
            ("OTEL_TRACES_SAMPLER_ARG", argument),
        ):
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        return sampler_from_environment()

    return set_env


def test_default_sampling_is_parent_based_at_the_default_ratio(sampler_env):
    description = sampler_env(None).get_description()

    assert "ParentBased" in description
    assert f"TraceIdRatioBased{{{DEFAULT_SAMPLE_RATIO}}}" in description


def test_the_standard_variables_choose_the_sampler(sampler_env):
    assert (
        "TraceIdRatioBased{1.0}" in sampler_env("parentbased_traceidratio", "1.0").get_description()
    )
    assert "AlwaysOffSampler" in sampler_env("always_off").get_description()
    with pytest.raises(ValueError, match="jaeger_remote"):
        sampler_env("jaeger_remote")


@pytest.mark.parametrize("kind", [SpanKind.SERVER, SpanKind.CONSUMER, SpanKind.PRODUCER])
def test_requests_and_messages_may_start_a_trace(sampler_env, kind):
    sampler = sampler_env("parentbased_always_on")

    assert sampler.should_sample(NO_PARENT, 1, "x", kind).decision is Decision.RECORD_AND_SAMPLE


@pytest.mark.parametrize("kind", [SpanKind.CLIENT, SpanKind.INTERNAL])
def test_a_background_query_alone_starts_no_trace_but_is_traced_inside_one(sampler_env, kind):
    sampler = sampler_env("parentbased_always_on")

    assert sampler.should_sample(NO_PARENT, 1, "SELECT", kind).decision is Decision.DROP
    inside = sampler.should_sample(sampled_context(), 1, "SELECT", kind)
    assert inside.decision is Decision.RECORD_AND_SAMPLE


async def traceparents_received(parent: context.Context) -> list[str]:
    """The `traceparent` an upstream receives from a call made inside `parent`."""
    received: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        received.append(request.headers["traceparent"])
        return httpx.Response(200, json={})

    upstream = Upstream("stock", "http://stock.test", transport=httpx.MockTransport(answer))
    token = context.attach(parent)
    try:
        await upstream.request("GET", "/levels")
    finally:
        context.detach(token)
        await upstream.aclose()
    return received


async def test_an_upstream_call_is_a_client_span_whose_context_the_upstream_receives(spans):
    received = await traceparents_received(sampled_context())

    span = named(spans.get_finished_spans(), "GET")
    assert span.kind is SpanKind.CLIENT
    assert received == [f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-01"]


async def test_inside_an_unrecorded_trace_a_call_makes_no_span_but_carries_the_trace_on(spans):
    unrecorded = unsampled_context()

    received = await traceparents_received(unrecorded)

    parent = trace.get_current_span(unrecorded).get_span_context()
    assert received == [f"00-{parent.trace_id:032x}-{parent.span_id:016x}-00"]
    assert spans.get_finished_spans() == ()


def test_a_client_librarys_span_is_made_inside_a_recorded_trace_only(spans):
    tracer = RecordedTracesOnly(trace.get_tracer_provider()).get_tracer("redis-like")
    unrecorded = unsampled_context()

    token = context.attach(unrecorded)
    try:
        with tracer.start_as_current_span("GET", kind=SpanKind.CLIENT) as skipped:
            pass
    finally:
        context.detach(token)
    token = context.attach(sampled_context())
    try:
        with tracer.start_as_current_span("SET", kind=SpanKind.CLIENT) as made:
            assert made.is_recording()
    finally:
        context.detach(token)

    assert not skipped.is_recording()
    assert skipped.get_span_context() == trace.get_current_span(unrecorded).get_span_context()
    assert [span.name for span in spans.get_finished_spans()] == ["SET"]


def test_the_resource_names_the_service_and_is_hashed_once(monkeypatch):
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    resource = tracing_resource("inventory", "1.2.3", "test")
    plain = Resource(resource.attributes, resource.schema_url)
    hashed = []
    monkeypatch.setattr(Resource, "__hash__", lambda self: hashed.append(self) or 7)

    assert hash(resource) == hash(resource) == hash(plain) == 7
    assert hashed == [resource, plain]  # the exporter hashes it once per span encoded
    assert resource == plain
    assert resource.attributes["service.name"] == "inventory"
    assert resource.attributes["service.namespace"] == "shopflow"
