"""One order is one trace: from the gateway through every Kafka hop to every service, as
the real trace backend (the stack's Jaeger) answers it; and the gateway's log line for
the request carries that trace's id."""

import asyncio
import json
import uuid
from collections import Counter

import pytest

from shopflow_stack.shop_client import place_order, settled
from shopflow_stack.traces import Span, find_order_traces, spans_of

pytestmark = pytest.mark.e2e

UNITS = {"gateway", "order", "inventory", "payment", "payment-provider", "notification"}
# The Kafka hops of a confirmed order, each command and reply and the event notification
# reads, counted: the saga goes on after CONFIRMED (CommitStock, StockCommitted).
HOPS = Counter({
    ("order", "inventory"): 2,  # ReserveStock, CommitStock
    ("inventory", "order"): 2,  # StockReserved, StockCommitted
    ("order", "payment"): 1,  # ChargePayment
    ("payment", "order"): 1,  # PaymentCharged
    ("order", "notification"): 1,  # OrderConfirmed
})  # fmt: skip


@pytest.fixture
def jaeger(shop) -> str:
    if not shop.config.observability.enabled:
        pytest.skip("the stack runs without Jaeger (SHOPFLOW_OBSERVABILITY=0)")
    return shop.jaeger_url


def kafka_hops(spans: list[Span]) -> Counter[tuple[str, str]]:
    """(publishing service, consuming service) of each consumer span whose parent is a publish."""
    by_id = {span.span_id: span for span in spans}
    return Counter(
        (by_id[span.parent_id].service, span.service)
        for span in spans
        if span.kind == "consumer" and span.parent_id in by_id
        and by_id[span.parent_id].kind == "producer"
    )  # fmt: skip


async def whole_trace(jaeger: str, order_id: str) -> list[dict]:
    """The order's traces once every service has exported its part: each process sends its
    spans in batches of its own (every second), so one hop's consumer span can reach Jaeger
    before its publish span, and the last hop's arrival says nothing of when the gateway's
    batch with the root span arrives."""
    async with asyncio.timeout(60):
        while True:
            traces = await asyncio.to_thread(find_order_traces, jaeger, order_id)
            spans = spans_of(traces[0]) if traces else []
            services = {span.service for span in spans}
            rooted = any(span.parent_id is None for span in spans)
            if kafka_hops(spans) >= HOPS and services >= UNITS and rooted:
                return traces
            await asyncio.sleep(0.5)


async def test_an_order_is_one_trace_through_every_service_and_kafka_hop(
    shop, jaeger, gateway, alice, new_product
):
    sku = await new_product(stock=3)
    request_id = f"trace-test-{uuid.uuid4().hex}"
    caller = {**alice, "X-Request-ID": request_id}

    placed = await place_order(gateway, caller, [{"sku": sku, "quantity": 1}], "tok_visa")
    assert (await settled(gateway, alice, placed["id"]))["status"] == "CONFIRMED"
    [trace] = await whole_trace(jaeger, placed["id"])

    spans = spans_of(trace)
    assert {span.service for span in spans} >= UNITS
    [root] = [span for span in spans if span.parent_id is None]
    assert (root.service, root.operation) == ("gateway", "POST /api/v1/orders")
    ids = {span.span_id for span in spans}
    assert all(span.parent_id in ids for span in spans if span is not root), "a detached span"
    for span in spans:
        if span.kind == "consumer" and span.operation.endswith(" process"):
            parent = next(s for s in spans if s.span_id == span.parent_id)
            assert parent.kind == "producer", f"{span.operation} not under its publish span"

    gateway_log = shop.get("gateway").log_path.read_text().splitlines()
    lines = [json.loads(line) for line in gateway_log if request_id in line]
    [access] = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert access["trace_id"] == trace["traceID"]
