"""Each Kafka hop as spans of the order's trace (ADR 0010).

The outbox row keeps the trace context of the transaction that wrote it (the message's
creation context). The relay restores it and publishes each message in a PRODUCER span,
child of that context, whose own context rides in the record's `traceparent` header: the
only one, since no Kafka instrumentation adds another. The consumer's PROCESS span is a
child of the header's context and links to the creation context, as the messaging
conventions ask. So the trace reads: request, then (after the outbox wait) publish,
then (after Kafka) process, and the same again for every reply.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from aiokafka import ConsumerRecord
from opentelemetry import propagate, trace
from opentelemetry.trace import Link, Span, SpanKind, StatusCode

from shopflow_kit import attributes
from shopflow_kit.messaging.envelope import Envelope

tracer = trace.get_tracer(__name__)

Headers = list[tuple[str, bytes]]


def _carrier(headers: Sequence[tuple[str, bytes]]) -> dict[str, str]:
    return {name: value.decode("latin-1") for name, value in headers}


def start_publish_span(
    topic: str, key: str, message_id: str, message_type: str, stored: Headers
) -> tuple[Span, Headers]:
    """A PRODUCER span in the trace of `stored` (the outbox row's context), and the headers
    that carry it on; the caller ends it once Kafka has acknowledged the record."""
    span = tracer.start_span(
        f"{topic} publish",
        context=propagate.extract(_carrier(stored)),
        kind=SpanKind.PRODUCER,
        attributes={
            attributes.MESSAGING_SYSTEM: "kafka",
            attributes.MESSAGING_OPERATION_TYPE: "send",
            attributes.MESSAGING_OPERATION_NAME: "publish",
            attributes.MESSAGING_DESTINATION: topic,
            attributes.MESSAGING_KAFKA_KEY: key,
            attributes.MESSAGING_MESSAGE_ID: message_id,
            attributes.MESSAGE_TYPE: message_type,
            attributes.CORRELATION_ID: key,
        },
    )
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span))
    return span, [(name, value.encode("latin-1")) for name, value in carrier.items()]


def end_publish_span(span: Span, error: BaseException | None) -> None:
    if error is not None:
        span.set_status(StatusCode.ERROR, repr(error))
    span.end()


@contextmanager
def process_span(record: ConsumerRecord, envelope: Envelope, consumer_group: str) -> Iterator[Span]:
    """The CONSUMER span handling `record`: current for the handler, so the messages it
    sends carry the trace on."""
    headers = _carrier(record.headers or ())
    parent = propagate.extract(headers if "traceparent" in headers else envelope.trace_context)
    created = trace.get_current_span(propagate.extract(envelope.trace_context)).get_span_context()
    with tracer.start_as_current_span(
        f"{record.topic} process",
        context=parent,
        kind=SpanKind.CONSUMER,
        links=[Link(created)] if created.is_valid else (),
        attributes={
            attributes.MESSAGING_SYSTEM: "kafka",
            attributes.MESSAGING_OPERATION_TYPE: "process",
            attributes.MESSAGING_OPERATION_NAME: "process",
            attributes.MESSAGING_DESTINATION: record.topic,
            attributes.MESSAGING_PARTITION: str(record.partition),
            attributes.MESSAGING_KAFKA_OFFSET: record.offset,
            attributes.MESSAGING_CONSUMER_GROUP: consumer_group,
            attributes.MESSAGING_MESSAGE_ID: str(envelope.message_id),
            attributes.MESSAGE_TYPE: envelope.type,
            attributes.CORRELATION_ID: envelope.correlation_id,
            attributes.CAUSATION_ID: str(envelope.causation_id or ""),
        },
    ) as span:
        yield span
