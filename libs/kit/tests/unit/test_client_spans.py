"""The kit's HTTP client span: what a recorded call's span says, and that a failed call
says so (the trace carried on: test_telemetry)."""

import httpx
import pytest
from opentelemetry import context
from opentelemetry.trace import SpanKind, StatusCode

from shopflow_kit.client_spans import TracedTransport
from shopflow_testing.span_recorder import sampled_context

pytestmark = pytest.mark.unit


async def call(url: str, answer) -> None:
    """GET `url` through a traced transport whose upstream answers with `answer`."""
    token = context.attach(sampled_context())
    try:
        async with httpx.AsyncClient(transport=TracedTransport(httpx.MockTransport(answer))) as c:
            await c.get(url)
    finally:
        context.detach(token)


async def test_a_call_is_a_client_span_named_after_its_method_with_the_conventions_attributes(
    spans,
):
    await call(
        "http://svc:secret@stock.test:8002/levels?sku=MUG&sig=abc",
        lambda request: httpx.Response(200, json={}),
    )

    [span] = spans.get_finished_spans()
    assert (span.name, span.kind) == ("GET", SpanKind.CLIENT)
    assert dict(span.attributes) == {
        "http.request.method": "GET",
        "server.address": "stock.test",
        "server.port": 8002,
        "url.full": "http://stock.test:8002/levels?sku=MUG&sig=REDACTED",
        "http.response.status_code": 200,
    }
    assert span.status.status_code is StatusCode.UNSET


async def test_an_error_answer_marks_the_span_failed_with_its_status(spans):
    await call("http://stock.test/levels", lambda request: httpx.Response(503))

    [span] = spans.get_finished_spans()
    assert span.attributes["url.full"] == "http://stock.test/levels"
    assert span.attributes["server.port"] == 80
    assert span.attributes["error.type"] == "503"
    assert span.status.status_code is StatusCode.ERROR


async def test_a_call_that_fails_is_a_failed_span_and_the_caller_gets_the_error(spans):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(httpx.ConnectError):
        await call("http://stock.test/levels", refuse)

    [span] = spans.get_finished_spans()
    assert span.attributes["error.type"] == "httpx.ConnectError"
    assert "http.response.status_code" not in span.attributes
    assert span.status.status_code is StatusCode.ERROR
