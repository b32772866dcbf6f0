"""`make trace`'s tree: spans under their parents, offsets from the trace's start."""

import pytest

from shopflow_stack.traces import render, spans_of

pytestmark = pytest.mark.unit


def span(span_id, parent, process, operation, start, duration, kind):
    references = [{"refType": "CHILD_OF", "traceID": "t", "spanID": parent}] if parent else []
    tags = [{"key": "span.kind", "type": "string", "value": kind}]
    return {
        "spanID": span_id, "operationName": operation, "references": references,
        "startTime": start, "duration": duration, "processID": process, "tags": tags,
    }  # fmt: skip


TRACE = {
    "traceID": "t",
    "processes": {"p1": {"serviceName": "gateway"}, "p2": {"serviceName": "order"}},
    "spans": [
        span("c", "b", "p2", "shopflow.inventory.commands publish", 1_500_000, 2_000, "producer"),
        span("a", None, "p1", "POST /api/v1/orders", 1_000_000, 40_000, "server"),
        span("b", "a", "p2", "POST /orders", 1_005_000, 30_000, "server"),
        span("x", "gone", "p2", "SELECT", 1_010_000, 1_000, "client"),
    ],
}


def test_the_tree_reads_in_causal_order_with_offsets_from_the_start():
    lines = render("t", spans_of(TRACE)).splitlines()

    assert lines[0] == "trace t: 4 spans, 2 services (gateway, order), 502.0 ms"
    assert [line.split("ms")[-1].rstrip() for line in lines[2:]] == [
        "  gateway           POST /api/v1/orders",
        "  order               POST /orders",
        "  order                 shopflow.inventory.commands publish  [producer]",
        "  order             SELECT",  # its parent is not in the trace: shown as a root
    ]
    assert lines[3].split()[:2] == ["+5.0ms", "30.0ms"]
