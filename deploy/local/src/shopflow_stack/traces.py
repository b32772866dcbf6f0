"""`make trace order=ID`: an order's trace as a tree in the terminal, from Jaeger's query API.

The order service tags the span that placed the order with `shopflow.order.id`; the trace
holding it is the order's whole story: the gateway, each service, every Kafka hop. Each
line shows when a span started (from the trace's start), how long it took, where, what.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

ORDER_ID_TAG = "shopflow.order.id"  # shopflow_kit.attributes.ORDER_ID; the stack has no kit


@dataclass(frozen=True)
class Span:
    span_id: str
    parent_id: str | None
    service: str
    operation: str
    start_us: int
    duration_us: int
    kind: str


def spans_of(trace: dict[str, Any]) -> list[Span]:
    """The spans of one trace in Jaeger's JSON, with their service names resolved."""
    services = {pid: process["serviceName"] for pid, process in trace["processes"].items()}
    return [
        Span(
            span_id=span["spanID"],
            parent_id=next(
                (
                    ref["spanID"]
                    for ref in span.get("references", [])
                    if ref["refType"] == "CHILD_OF"
                ),
                None,
            ),
            service=services[span["processID"]],
            operation=span["operationName"],
            start_us=span["startTime"],
            duration_us=span["duration"],
            kind=next((t["value"] for t in span.get("tags", []) if t["key"] == "span.kind"), ""),
        )
        for span in trace["spans"]
    ]


def render(trace_id: str, spans: list[Span]) -> str:
    """The tree: children under their parent, siblings by start time."""
    if not spans:
        return f"trace {trace_id}: no spans"
    known = {span.span_id for span in spans}
    children: dict[str | None, list[Span]] = {}
    for span in sorted(spans, key=lambda s: s.start_us):
        parent = span.parent_id if span.parent_id in known else None  # orphans as roots
        children.setdefault(parent, []).append(span)
    start = min(span.start_us for span in spans)
    end = max(span.start_us + span.duration_us for span in spans)
    services = sorted({span.service for span in spans})
    lines = [
        f"trace {trace_id}: {len(spans)} spans, {len(services)} services "
        f"({', '.join(services)}), {(end - start) / 1000:.1f} ms",
        f"{'START':>10}  {'DURATION':>10}  {'SERVICE':<17} OPERATION",
    ]

    def walk(parent: str | None, depth: int) -> None:
        for span in children.get(parent, []):
            lines.append(
                f"{(span.start_us - start) / 1000:>+9.1f}ms  {span.duration_us / 1000:>8.1f}ms  "
                f"{span.service:<17} {'  ' * depth}{span.operation}"
                + (f"  [{span.kind}]" if span.kind in ("producer", "consumer") else "")
            )
            walk(span.span_id, depth + 1)

    walk(None, 0)
    return "\n".join(lines)


def find_order_traces(
    query_url: str, order_id: str, *, lookback_hours: int = 48
) -> list[dict[str, Any]]:
    """The traces holding a span tagged with `order_id`, as Jaeger's JSON, largest first."""
    now_us = int(time.time() * 1_000_000)
    params: dict[str, str | int] = {
        "service": "order",
        "tags": json.dumps({ORDER_ID_TAG: order_id}),
        "start": now_us - lookback_hours * 3600 * 1_000_000,
        "end": now_us,
        "limit": 20,
    }
    response = httpx.get(f"{query_url}/api/traces", params=params, timeout=10)
    response.raise_for_status()
    traces: list[dict[str, Any]] = response.json()["data"] or []
    return sorted(traces, key=lambda trace: len(trace["spans"]), reverse=True)


def fetch_trace(query_url: str, trace_id: str) -> dict[str, Any]:
    """One trace by id, as Jaeger's JSON."""
    response = httpx.get(f"{query_url}/api/traces/{trace_id}", timeout=10)
    response.raise_for_status()
    [trace] = response.json()["data"]
    return dict(trace)


def print_order_traces(query_url: str, order_id: str) -> int:
    traces = find_order_traces(query_url, order_id)
    if not traces:
        print(
            f"no trace in Jaeger ({query_url}) with {ORDER_ID_TAG}={order_id}: a wrong id, an "
            "order not sampled (OTEL_TRACES_SAMPLER_ARG), or Jaeger restarted since (it keeps "
            "traces in memory)"
        )
        return 1
    for trace in traces:  # more than one: the order was placed again with its Idempotency-Key
        print(render(trace["traceID"], spans_of(trace)))
        print()
    return 0
