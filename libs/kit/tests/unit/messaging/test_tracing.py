"""A Kafka hop in the order's trace: publish as a child of the outbox row's context, process
as a child of the record's header, linked to where the message was created."""

import pytest
from aiokafka import ConsumerRecord
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from shopflow_kit.messaging.envelope import Envelope
from shopflow_kit.messaging.tracing import end_publish_span, process_span, start_publish_span
from shopflow_testing.span_recorder import sampled_context

pytestmark = pytest.mark.unit

TOPIC = "shop.stock.commands"


def stored_context() -> list[tuple[str, bytes]]:
    """The outbox row's trace context, as the relay reads it: the creating span's."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=sampled_context())
    return [(name, value.encode()) for name, value in carrier.items()]


def record(headers, envelope: Envelope) -> ConsumerRecord:
    value = envelope.to_bytes()
    return ConsumerRecord(TOPIC, 2, 41, 0, 0, b"order-1", value, None, len(value), -1, headers)


def envelope_with(stored: list[tuple[str, bytes]]) -> Envelope:
    context = {name: value.decode() for name, value in stored}
    return Envelope(
        type="HoldStock", schema_version=1, correlation_id="order-1", trace_context=context,
        payload={},
    )  # fmt: skip


def span_context_of(headers: list[tuple[str, bytes]]) -> trace.SpanContext:
    carrier = {name: value.decode() for name, value in headers}
    return trace.get_current_span(propagate.extract(carrier)).get_span_context()


def test_publish_continues_the_stored_trace_and_is_what_the_record_carries(spans):
    stored = stored_context()

    span, headers = start_publish_span(TOPIC, "order-1", "m-1", "HoldStock", stored)
    end_publish_span(span, None)

    [published] = spans.get_finished_spans()
    creator = span_context_of(stored)
    assert (published.name, published.kind) == (f"{TOPIC} publish", SpanKind.PRODUCER)
    assert published.context.trace_id == creator.trace_id
    assert published.parent.span_id == creator.span_id
    assert [name for name, _ in headers] == ["traceparent"]  # one, and it is the publish span's
    assert span_context_of(headers).span_id == published.context.span_id


def test_a_failed_publish_is_marked_as_an_error(spans):
    span, _ = start_publish_span(TOPIC, "order-1", "m-1", "HoldStock", stored_context())
    end_publish_span(span, TimeoutError("no ack"))

    [published] = spans.get_finished_spans()
    assert not published.status.is_ok


def test_process_is_a_child_of_the_publish_span_linked_to_the_creation_context(spans):
    stored = stored_context()
    envelope = envelope_with(stored)
    publish, headers = start_publish_span(TOPIC, "order-1", "m-1", "HoldStock", stored)
    end_publish_span(publish, None)

    with process_span(record(headers, envelope), envelope, "stock-group"):
        pass

    processed = [s for s in spans.get_finished_spans() if s.kind is SpanKind.CONSUMER]
    assert [s.name for s in processed] == [f"{TOPIC} process"]
    assert processed[0].parent.span_id == span_context_of(headers).span_id
    assert [link.context.span_id for link in processed[0].links] == [
        span_context_of(stored).span_id
    ]
    assert processed[0].attributes["shopflow.correlation_id"] == "order-1"


def test_a_record_without_trace_headers_continues_the_envelopes_trace(spans):
    stored = stored_context()
    envelope = envelope_with(stored)

    with process_span(record([], envelope), envelope, "stock-group"):
        pass

    [processed] = spans.get_finished_spans()
    assert processed.parent.span_id == span_context_of(stored).span_id
