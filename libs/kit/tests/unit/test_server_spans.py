"""Request spans: the caller's trace continued, the HTTP conventions' attributes on a
recorded request, nothing but a context for a request nobody samples, probes untraced."""

import json
import logging

import pytest
from fastapi import APIRouter
from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import SpanKind, StatusCode

from shopflow_kit import create_app
from shopflow_testing.span_recorder import sampled_context, traceparent, unsampled_context

pytestmark = pytest.mark.unit


def traced_app(settings):
    router = APIRouter()

    @router.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        logging.getLogger("things").info("looked up %s", thing_id)
        return {"id": thing_id}

    @router.get("/instrumented")
    async def instrumented() -> dict[str, bool]:
        return {"enabled": is_instrumentation_enabled()}

    @router.get("/broken")
    async def broken() -> None:
        raise RuntimeError("a bug")

    return create_app(settings, title="traced", routers=[router])


def log_lines(capsys, message: str) -> list[dict]:
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return [line for line in lines if line["message"] == message]


async def test_a_request_is_a_server_span_in_the_callers_trace(settings, client_for, spans):
    caller = sampled_context()
    app = traced_app(settings)

    async with client_for(app) as client:
        await client.get("/things/42", headers={"traceparent": traceparent(caller)})

    [span] = spans.get_finished_spans()
    assert (span.name, span.kind) == ("GET /things/{thing_id}", SpanKind.SERVER)
    assert span.attributes["http.route"] == "/things/{thing_id}"
    caller_span = trace.get_current_span(caller).get_span_context()
    assert span.context.trace_id == caller_span.trace_id
    assert span.parent.span_id == caller_span.span_id


async def test_a_recorded_request_carries_the_http_conventions_attributes(
    settings, client_for, spans
):
    app = traced_app(settings)
    headers = {"traceparent": traceparent(sampled_context())}

    async with client_for(app) as client:
        await client.get("/things/7?colour=red&sig=secret", headers=headers)

    [span] = spans.get_finished_spans()
    assert dict(span.attributes) == {
        "url.scheme": "http",
        "http.request.method": "GET",
        "url.path": "/things/7",
        "url.query": "colour=red&sig=REDACTED",
        "server.address": "kit.test",
        "server.port": 80,
        "network.protocol.version": "1.1",
        "http.route": "/things/{thing_id}",
        "http.response.status_code": 200,
    }
    assert span.status.status_code is StatusCode.UNSET


async def test_a_request_answered_500_is_an_error_span(settings, client_for, spans):
    app = traced_app(settings)

    async with client_for(app) as client:
        answer = await client.get(
            "/broken", headers={"traceparent": traceparent(sampled_context())}
        )

    [span] = spans.get_finished_spans()
    assert answer.status_code == 500
    assert span.attributes["http.response.status_code"] == 500
    assert span.attributes["error.type"] == "500"
    assert span.status.status_code is StatusCode.ERROR


async def test_a_path_no_route_serves_is_named_by_its_method_alone(settings, client_for, spans):
    app = traced_app(settings)

    async with client_for(app) as client:
        await client.get("/nowhere", headers={"traceparent": traceparent(sampled_context())})

    [span] = spans.get_finished_spans()
    assert span.name == "GET"
    assert "http.route" not in span.attributes
    assert span.attributes["http.response.status_code"] == 404


async def test_probes_and_scrapes_are_not_traced(settings, client_for, spans):
    app = traced_app(settings)
    headers = {"traceparent": traceparent(sampled_context())}

    async with client_for(app) as client:
        for path in ("/healthz", "/readyz", "/metrics"):
            await client.get(path, headers=headers)

    assert spans.get_finished_spans() == ()


async def test_a_requests_log_line_carries_its_spans_trace_and_span_ids(
    settings, client_for, spans, capsys
):
    app = traced_app(settings)
    capsys.readouterr()

    async with client_for(app) as client:
        await client.get("/things/7", headers={"traceparent": traceparent(sampled_context())})

    [span] = spans.get_finished_spans()
    [line] = log_lines(capsys, "looked up 7")
    assert line["trace_id"] == f"{span.context.trace_id:032x}"
    assert line["span_id"] == f"{span.context.span_id:016x}"


async def test_a_request_nobody_samples_records_nothing_and_its_log_line_keeps_the_trace(
    settings, client_for, spans, capsys
):
    caller = unsampled_context()
    app = traced_app(settings)
    capsys.readouterr()

    async with client_for(app) as client:
        answer = await client.get("/things/8", headers={"traceparent": traceparent(caller)})

    assert answer.status_code == 200
    assert spans.get_finished_spans() == ()
    [line] = log_lines(capsys, "looked up 8")
    assert line["trace_id"] == f"{trace.get_current_span(caller).get_span_context().trace_id:032x}"


@pytest.mark.parametrize(
    ("caller", "enabled"), [(unsampled_context, False), (sampled_context, True)]
)
async def test_instrumentations_stand_aside_only_in_a_request_nobody_samples(
    settings, client_for, spans, caller, enabled
):
    # In a trace nobody records, Redis's instrumentation would format each command and
    # name a span for nothing: 19 µs of CPU per command (docs/observability.md).
    app = traced_app(settings)

    async with client_for(app) as client:
        answer = await client.get("/instrumented", headers={"traceparent": traceparent(caller())})

    assert answer.json() == {"enabled": enabled}
