"""Jaeger's JSON for a trace, drawn as the console's waterfall rows."""

import pytest

from shopflow_gateway.waterfall import waterfall

pytestmark = pytest.mark.unit


def span(span_id, start, duration, parent=None, process="p1", tags=(), name=None):
    references = [{"refType": "CHILD_OF", "spanID": parent}] if parent else []
    return {
        "spanID": span_id,
        "operationName": name or f"op {span_id}",
        "processID": process,
        "startTime": start,
        "duration": duration,
        "references": references,
        "tags": [{"key": key, "value": value} for key, value in tags],
    }


PROCESSES = {"p1": {"serviceName": "gateway"}, "p2": {"serviceName": "order"}}


def test_children_follow_their_parent_siblings_by_start_times_from_the_trace_start():
    trace = {
        "traceID": "abc",
        "processes": PROCESSES,
        "spans": [
            span("late", 1_003_000, 500, parent="root", process="p2"),
            span("root", 1_000_000, 10_000, tags=[("span.kind", "server")]),
            span("early", 1_001_000, 1_000, parent="root", process="p2"),
            span("grandchild", 1_001_500, 100, parent="early", tags=[("error", True)]),
        ],
    }

    drawn = waterfall(trace)

    assert [(row.operation, row.depth) for row in drawn.rows] == [
        ("op root", 0),
        ("op early", 1),
        ("op grandchild", 2),
        ("op late", 1),
    ]
    assert (drawn.trace_id, drawn.duration_ms, drawn.services) == (
        "abc",
        10.0,
        ["gateway", "order"],
    )
    assert [row.start_ms for row in drawn.rows] == [0.0, 1.0, 1.5, 3.0]
    assert drawn.rows[0].kind == "server"
    assert [row.error for row in drawn.rows] == [False, False, True, False]


def test_a_span_whose_parent_is_missing_is_a_root():
    trace = {
        "traceID": "abc",
        "processes": PROCESSES,
        "spans": [span("orphan", 5, 1, parent="gone"), span("root", 0, 10)],
    }

    assert [(row.operation, row.depth) for row in waterfall(trace).rows] == [
        ("op root", 0),
        ("op orphan", 0),
    ]


def test_an_empty_trace_has_no_rows():
    drawn = waterfall({"traceID": "abc", "processes": {}, "spans": []})

    assert (drawn.rows, drawn.duration_ms) == ([], 0.0)
