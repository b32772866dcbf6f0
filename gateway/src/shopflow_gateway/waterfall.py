"""An order's trace as the console draws it: Jaeger's JSON turned into waterfall rows.

Each row is a span under its parent, siblings by start time, with its start and length
in milliseconds from the trace's start; a span whose parent is not in the trace is a
root. Pure, so the shape can be tested without a trace backend.
"""

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel


class WaterfallRow(BaseModel):
    service: str
    operation: str
    depth: int
    start_ms: float
    duration_ms: float
    kind: str  # server, client, producer, consumer, internal
    error: bool


class Waterfall(BaseModel):
    trace_id: str
    duration_ms: float
    services: list[str]
    rows: list[WaterfallRow]


def _parent(span: Mapping[str, Any], known: set[str]) -> str | None:
    for reference in span.get("references") or []:
        if reference.get("refType") == "CHILD_OF" and reference.get("spanID") in known:
            return str(reference["spanID"])
    return None


def waterfall(trace: Mapping[str, Any]) -> Waterfall:
    """The rows of one trace in Jaeger's query API JSON (`data[i]` of `/api/traces`)."""
    service_of = {pid: process["serviceName"] for pid, process in trace["processes"].items()}
    spans = sorted(trace["spans"], key=lambda span: span["startTime"])
    known = {span["spanID"] for span in spans}
    children: dict[str | None, list[Mapping[str, Any]]] = {}
    for span in spans:
        children.setdefault(_parent(span, known), []).append(span)
    start = spans[0]["startTime"] if spans else 0
    end = max((span["startTime"] + span["duration"] for span in spans), default=start)
    rows: list[WaterfallRow] = []
    # Depth first without recursion: (span, depth), next sibling on top after the subtree.
    pending = [(span, 0) for span in reversed(children.get(None, []))]
    while pending:
        span, depth = pending.pop()
        tags = {tag["key"]: tag["value"] for tag in span.get("tags") or []}
        rows.append(
            WaterfallRow(
                service=service_of.get(span["processID"], "?"),
                operation=span["operationName"],
                depth=depth,
                start_ms=(span["startTime"] - start) / 1000,
                duration_ms=span["duration"] / 1000,
                kind=str(tags.get("span.kind", "internal")),
                error=tags.get("error") is True or tags.get("otel.status_code") == "ERROR",
            )
        )
        pending += [(child, depth + 1) for child in reversed(children.get(span["spanID"], []))]
    return Waterfall(
        trace_id=str(trace["traceID"]),
        duration_ms=(end - start) / 1000,
        services=sorted({row.service for row in rows}),
        rows=rows,
    )
