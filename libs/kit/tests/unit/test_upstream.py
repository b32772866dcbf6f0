"""Upstream against a scripted transport: which calls are retried, and how often."""

import json
import time

import httpx
import pytest
from prometheus_client import CollectorRegistry

from shopflow_kit.retry_budget import RetryPolicy
from shopflow_kit.upstream import Upstream, UpstreamPolicy, UpstreamUnavailable
from shopflow_testing.clock import ManualClock

pytestmark = pytest.mark.unit

NO_BACKOFF = RetryPolicy(backoff_seconds=0, max_backoff_seconds=0)


class ScriptedTransport(httpx.MockTransport):
    """Answers each call with the next scripted status or error; the last one repeats."""

    def __init__(self, *answers: int | Exception | httpx.Response) -> None:
        super().__init__(self._answer)
        self.answers = list(answers)
        self.calls: list[httpx.Request] = []

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer if isinstance(answer, httpx.Response) else httpx.Response(answer, json={})


@pytest.fixture
async def upstream_for():
    """A factory of upstreams on a transport; every one is closed after the test."""
    opened = []

    def create(transport, registry=None, clock=time.monotonic, **policy):
        policy = UpstreamPolicy(**{"retries": NO_BACKOFF, **policy})
        upstream = Upstream(
            "inventory",
            "http://inventory",
            policy,
            registry=registry,
            transport=transport,
            clock=clock,
        )
        opened.append(upstream)
        return upstream

    yield create
    for upstream in opened:
        await upstream.aclose()


async def test_get_is_retried_on_503_until_it_answers(upstream_for):
    transport = ScriptedTransport(503, 503, 200)
    registry = CollectorRegistry()

    response = await upstream_for(transport, registry).request("GET", "/stock/A-1")

    assert response.status_code == 200
    assert len(transport.calls) == 3
    labels = {"upstream": "inventory"}
    assert registry.get_sample_value("upstream_retries_total", labels) == 2
    assert (
        registry.get_sample_value("upstream_requests_total", {**labels, "outcome": "success"}) == 1
    )


@pytest.mark.parametrize("failure", [503, httpx.ConnectError("refused")])
@pytest.mark.parametrize(
    ("method", "idempotent"), [("POST", None), ("PATCH", None), ("GET", False)]
)
async def test_non_idempotent_calls_are_never_retried(upstream_for, failure, method, idempotent):
    transport = ScriptedTransport(failure, 200)

    with pytest.raises(UpstreamUnavailable):
        await upstream_for(transport).request(method, "/charges", idempotent=idempotent)

    assert len(transport.calls) == 1


async def test_post_with_idempotency_key_is_retried(upstream_for):
    transport = ScriptedTransport(httpx.ReadTimeout("slow"), 201)

    response = await upstream_for(transport).request(
        "POST", "/charges", json={"amount": 100}, headers={"Idempotency-Key": "order-7"}
    )

    assert response.status_code == 201
    assert len(transport.calls) == 2
    assert transport.calls[1].content == transport.calls[0].content


@pytest.mark.parametrize("status", [402, 404, 422])
async def test_client_errors_are_answers_never_retried_nor_breaker_failures(upstream_for, status):
    transport = ScriptedTransport(status)
    upstream = upstream_for(transport, breaker_fail_max=2)

    statuses = [(await upstream.request("GET", "/stock/A-1")).status_code for _ in range(5)]

    assert statuses == [status] * 5
    assert len(transport.calls) == 5


@pytest.mark.parametrize(("retry_after", "calls"), [("0", 2), ("120", 1)])
async def test_429_is_retried_only_when_retry_after_is_short(upstream_for, retry_after, calls):
    transport = ScriptedTransport(httpx.Response(429, headers={"Retry-After": retry_after}), 200)

    response = await upstream_for(transport).request("GET", "/stock/A-1")

    assert len(transport.calls) == calls
    assert response.status_code == (200 if calls == 2 else 429)


async def test_transport_errors_exhaust_attempts_then_upstream_is_unavailable(upstream_for):
    transport = ScriptedTransport(httpx.ConnectError("refused"))

    with pytest.raises(UpstreamUnavailable, match="ConnectError") as raised:
        await upstream_for(transport).request("GET", "/stock/A-1")

    assert len(transport.calls) == NO_BACKOFF.attempts
    assert isinstance(raised.value.__cause__, httpx.ConnectError)
    assert raised.value.retry_after_seconds == 0


async def test_exhausted_retry_budget_sends_each_request_once(upstream_for):
    transport = ScriptedTransport(503)
    budget = RetryPolicy(backoff_seconds=0, budget_ratio=0, min_retries_per_window=2)
    upstream = upstream_for(transport, retries=budget, breaker_fail_max=100)
    with pytest.raises(UpstreamUnavailable):
        await upstream.request("GET", "/stock/A-1")  # 1 call + the 2 retries of the budget
    assert len(transport.calls) == 3

    for _ in range(5):
        with pytest.raises(UpstreamUnavailable):
            await upstream.request("GET", "/stock/A-1")

    assert len(transport.calls) == 3 + 5


async def test_the_retry_budget_refills_on_the_upstreams_clock(upstream_for):
    transport, clock = ScriptedTransport(503), ManualClock()
    budget = RetryPolicy(
        attempts=2, backoff_seconds=0, budget_ratio=0, min_retries_per_window=1, window_seconds=10
    )
    upstream = upstream_for(transport, clock=clock, retries=budget, breaker_fail_max=100)

    calls = []
    for advance in (0, 0, 10):  # the budget's one retry, none left, then a new window
        clock.advance(advance)
        with pytest.raises(UpstreamUnavailable):
            await upstream.request("GET", "/stock/A-1")
        calls.append(len(transport.calls) - sum(calls))

    assert calls == [2, 1, 2]


async def test_a_call_sends_its_body_query_and_headers_and_answers_a_readable_body(upstream_for):
    transport = ScriptedTransport(httpx.Response(201, json={"reserved": ["A-1"]}))

    response = await upstream_for(transport).request(
        "POST",
        "/reservations",
        json={"sku": "A-1", "quantity": 2},
        params={"order_id": "7"},
        headers={"Idempotency-Key": "order-7"},
    )

    [sent] = transport.calls
    assert (sent.method, sent.url) == ("POST", "http://inventory/reservations?order_id=7")
    assert json.loads(sent.content) == {"sku": "A-1", "quantity": 2}
    assert sent.headers["Idempotency-Key"] == "order-7"
    assert response.json() == {"reserved": ["A-1"]}


async def test_each_call_waits_no_longer_than_the_policy_says(upstream_for):
    transport = ScriptedTransport(200)

    await upstream_for(transport, timeout_seconds=2.5, connect_timeout_seconds=0.5).request(
        "GET", "/stock/A-1"
    )

    timeouts = transport.calls[0].extensions["timeout"]
    assert timeouts == {"connect": 0.5, "read": 2.5, "write": 2.5, "pool": 2.5}


async def test_an_unavailable_upstream_says_which_and_why(upstream_for):
    with pytest.raises(UpstreamUnavailable) as raised:
        await upstream_for(ScriptedTransport(502)).request("POST", "/reservations")

    unavailable = raised.value
    assert (unavailable.upstream_name, unavailable.reason) == ("inventory", "answered 502")
    assert unavailable.detail == "inventory is unavailable: answered 502"
    assert unavailable.retry_after_seconds == 0  # its breaker is still closed
    assert unavailable.response().headers["retry-after"] == "1"


async def test_every_call_is_counted_by_outcome_and_timed_from_the_start(upstream_for):
    registry = CollectorRegistry()
    transport = ScriptedTransport(200, 404, 500, httpx.ConnectError("refused"))
    upstream = upstream_for(transport, registry, retries=RetryPolicy(attempts=1))

    def count(outcome: str) -> float | None:
        labels = {"upstream": "inventory", "outcome": outcome}
        return registry.get_sample_value("upstream_requests_total", labels)

    outcomes = ("success", "client_error", "server_error", "transport_error")
    assert [count(outcome) for outcome in outcomes] == [0, 0, 0, 0]  # a rate of 0, not no data
    started = time.perf_counter()
    for _ in range(3):
        await upstream.request("GET", "/stock/A-1")
    with pytest.raises(UpstreamUnavailable):
        await upstream.request("GET", "/stock/A-1")
    elapsed = time.perf_counter() - started

    assert [count(outcome) for outcome in outcomes] == [1, 1, 1, 1]
    labels = {"upstream": "inventory"}
    assert registry.get_sample_value("upstream_request_duration_seconds_count", labels) == 4
    assert (
        0 <= registry.get_sample_value("upstream_request_duration_seconds_sum", labels) <= elapsed
    )
