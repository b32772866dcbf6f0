"""Upstream's circuit breaker against a scripted transport: it opens on unavailability
only, short-circuits, and a single trial call closes it again. Its cool-down passes on
a clock the test moves, never by sleeping."""

import asyncio

import httpx
import pytest
from prometheus_client import CollectorRegistry

from shopflow_kit.retry_budget import RetryPolicy
from shopflow_kit.upstream import Upstream, UpstreamPolicy, UpstreamUnavailable
from shopflow_testing.clock import ManualClock

pytestmark = pytest.mark.unit

BREAKER = UpstreamPolicy(
    retries=RetryPolicy(attempts=1), breaker_fail_max=3, breaker_reset_seconds=10
)


class Inventory:
    """The upstream's side: answers `status` once `released` (refuses the connection if it
    is None); counts the calls it sees."""

    def __init__(self) -> None:
        self.status: int | None = 503
        self.calls = 0
        self.arrived, self.released = asyncio.Event(), asyncio.Event()
        self.released.set()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        self.arrived.set()
        await self.released.wait()
        if self.status is None:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(self.status)


@pytest.fixture
def inventory():
    return Inventory()


@pytest.fixture
def registry():
    return CollectorRegistry()


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
async def upstream(inventory, registry, clock):
    transport = httpx.MockTransport(inventory)
    upstream = Upstream(
        "inventory", "http://x", BREAKER, registry=registry, transport=transport, clock=clock
    )
    yield upstream
    await upstream.aclose()


async def open_breaker(upstream: Upstream) -> UpstreamUnavailable:
    """Fails `breaker_fail_max` calls; returns what the next, short-circuited, call raised."""
    for _ in range(BREAKER.breaker_fail_max):
        with pytest.raises(UpstreamUnavailable, match="answered 503"):
            await upstream.request("GET", "/stock/A-1")
    with pytest.raises(UpstreamUnavailable, match="circuit open") as raised:
        await upstream.request("GET", "/stock/A-1")
    return raised.value


def breaker_open(registry: CollectorRegistry) -> float | None:
    """1 while the breaker is open; its state's series say so one state at a time."""
    states = {
        state: registry.get_sample_value(
            "upstream_breaker_state", {"upstream": "inventory", "state": state}
        )
        for state in ("closed", "open", "half-open")
    }
    assert sorted(states.values()) == [0, 0, 1], states
    return states["open"]


async def test_breaker_opens_after_fail_max_and_short_circuits(
    upstream, inventory, registry, caplog
):
    short_circuited = await open_breaker(upstream)

    assert inventory.calls == BREAKER.breaker_fail_max
    assert short_circuited.retry_after_seconds == BREAKER.breaker_reset_seconds
    assert breaker_open(registry) == 1
    labels = {"upstream": "inventory", "outcome": "short_circuited"}
    assert registry.get_sample_value("upstream_requests_total", labels) == 1
    assert "upstream inventory circuit closed -> open" in caplog.text


async def test_the_breaker_stays_open_for_its_whole_cool_down(upstream, inventory, clock):
    await open_breaker(upstream)
    inventory.status = 200

    clock.advance(BREAKER.breaker_reset_seconds - 0.5)
    with pytest.raises(UpstreamUnavailable, match="circuit open") as raised:
        await upstream.request("GET", "/stock/A-1")

    assert raised.value.retry_after_seconds == 0.5
    assert raised.value.response().headers["retry-after"] == "1"
    assert inventory.calls == BREAKER.breaker_fail_max


async def test_successful_trial_call_closes_the_breaker(upstream, inventory, registry, clock):
    short_circuited = await open_breaker(upstream)
    inventory.status = 200

    clock.advance(short_circuited.retry_after_seconds)  # the breaker's own timeout

    assert (await upstream.request("GET", "/stock/A-1")).status_code == 200
    assert breaker_open(registry) == 0
    assert (await upstream.request("GET", "/stock/A-1")).status_code == 200


async def test_failed_trial_call_opens_the_breaker_again_for_a_whole_cool_down(
    upstream, inventory, registry, clock
):
    clock.advance((await open_breaker(upstream)).retry_after_seconds)

    with pytest.raises(UpstreamUnavailable, match="answered 503"):
        await upstream.request("GET", "/stock/A-1")

    assert breaker_open(registry) == 1
    with pytest.raises(UpstreamUnavailable, match="circuit open") as raised:
        await upstream.request("GET", "/stock/A-1")
    assert raised.value.retry_after_seconds == BREAKER.breaker_reset_seconds


async def test_half_open_breaker_lets_one_trial_call_through(upstream, inventory, clock):
    clock.advance((await open_breaker(upstream)).retry_after_seconds)
    inventory.status, inventory.arrived = 200, asyncio.Event()
    inventory.released.clear()
    trial = asyncio.create_task(upstream.request("GET", "/stock/A-1"))
    await inventory.arrived.wait()

    with pytest.raises(UpstreamUnavailable, match="circuit open"):
        async with asyncio.timeout(5):  # a second trial let through would wait for release
            await upstream.request("GET", "/stock/A-1")

    inventory.released.set()
    assert (await trial).status_code == 200
    assert (await upstream.request("GET", "/stock/A-1")).status_code == 200
    assert inventory.calls == BREAKER.breaker_fail_max + 2


async def test_a_500_is_an_answer_about_one_request_and_never_opens_the_breaker(
    upstream, inventory, registry
):
    inventory.status = 500

    answers = [await upstream.request("GET", "/orders?before=x") for _ in range(10)]

    assert {answer.status_code for answer in answers} == {500}
    assert inventory.calls == 10
    assert breaker_open(registry) == 0


async def test_calls_their_callers_cancel_never_open_the_breaker(upstream, inventory, registry):
    inventory.status, inventory.released = 200, asyncio.Event()  # slow: answers only later

    for _ in range(BREAKER.breaker_fail_max * 3):
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.01):  # the caller's own deadline, e.g. /details'
                await upstream.request("GET", "/payments?order_id=7")

    assert breaker_open(registry) == 0
    inventory.released.set()
    assert (await upstream.request("GET", "/payments?order_id=7")).status_code == 200


async def test_a_cancelled_call_does_not_reset_the_count_of_failures(upstream, inventory):
    for _ in range(BREAKER.breaker_fail_max - 1):
        with pytest.raises(UpstreamUnavailable, match="answered 503"):
            await upstream.request("GET", "/stock/A-1")
    inventory.released.clear()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await upstream.request("GET", "/stock/A-1")
    inventory.released.set()

    with pytest.raises(UpstreamUnavailable, match="answered 503"):
        await upstream.request("GET", "/stock/A-1")  # the last failure of fail_max in a row

    with pytest.raises(UpstreamUnavailable, match="circuit open"):
        await upstream.request("GET", "/stock/A-1")


async def test_a_cancelled_trial_call_leaves_the_trial_to_the_next_call(
    upstream, inventory, registry, clock
):
    clock.advance((await open_breaker(upstream)).retry_after_seconds)
    inventory.status, inventory.released = 200, asyncio.Event()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await upstream.request("GET", "/stock/A-1")
    assert breaker_open(registry) == 1

    inventory.released.set()

    assert (await upstream.request("GET", "/stock/A-1")).status_code == 200
    assert breaker_open(registry) == 0


async def test_a_call_may_say_its_5xx_speak_for_someone_else(upstream, inventory, registry):
    """POST /orders through the gateway: the order service's 503 is about inventory."""
    for _ in range(BREAKER.breaker_fail_max * 2):
        answer = await upstream.request("POST", "/orders", unavailable_statuses=())
        assert answer.status_code == 503

    assert breaker_open(registry) == 0


async def test_an_upstream_may_count_its_500s_too(inventory, registry):
    """A PSP's 500 leaves a charge unknown: to be tried again later, with the same key."""
    inventory.status = 500
    transport = httpx.MockTransport(inventory)
    provider = Upstream(
        "provider", "http://x", BREAKER, transport=transport, unavailable_statuses={500, 503}
    )
    try:
        for _ in range(BREAKER.breaker_fail_max):
            with pytest.raises(UpstreamUnavailable, match="answered 500"):
                await provider.request("POST", "/v1/charges", idempotent=False)
        with pytest.raises(UpstreamUnavailable, match="circuit open"):
            await provider.request("POST", "/v1/charges", idempotent=False)
    finally:
        await provider.aclose()


async def test_a_closed_breaker_lets_concurrent_calls_through(upstream, inventory):
    inventory.status, inventory.released = 200, asyncio.Event()
    calls = [asyncio.create_task(upstream.request("GET", f"/stock/A-{n}")) for n in range(3)]
    async with asyncio.timeout(5):
        while inventory.calls < 3:  # noqa: ASYNC110 - each call on its way to the upstream
            await asyncio.sleep(0)

    inventory.released.set()

    assert [(await call).status_code for call in calls] == [200, 200, 200]


async def test_an_upstream_that_never_answers_opens_the_breaker_and_a_failed_trial_reopens_it(
    upstream, inventory, clock
):
    inventory.status = None
    for _ in range(BREAKER.breaker_fail_max):
        with pytest.raises(UpstreamUnavailable, match="ConnectError"):
            await upstream.request("GET", "/stock/A-1")
    with pytest.raises(UpstreamUnavailable) as short_circuited:
        await upstream.request("GET", "/stock/A-1")
    assert (short_circuited.value.upstream_name, short_circuited.value.reason) == (
        "inventory",
        "circuit open",
    )

    clock.advance(short_circuited.value.retry_after_seconds)
    with pytest.raises(UpstreamUnavailable, match="ConnectError"):
        await upstream.request("GET", "/stock/A-1")  # the trial call, unanswered

    with pytest.raises(UpstreamUnavailable, match="circuit open") as raised:
        await upstream.request("GET", "/stock/A-1")
    assert raised.value.retry_after_seconds == BREAKER.breaker_reset_seconds
    assert inventory.calls == BREAKER.breaker_fail_max + 1


async def test_a_late_answer_to_a_call_sent_before_the_breaker_opened_does_not_close_it(
    registry, clock
):
    """Only the trial call's outcome closes an open breaker, not an older call's."""
    slow_arrived, slow_released = asyncio.Event(), asyncio.Event()

    async def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/slow":
            slow_arrived.set()
            await slow_released.wait()
            return httpx.Response(200)
        return httpx.Response(503)

    transport = httpx.MockTransport(answer)
    upstream = Upstream(
        "inventory", "http://x", BREAKER, registry=registry, transport=transport, clock=clock
    )
    try:
        late = asyncio.create_task(upstream.request("GET", "/slow"))
        await slow_arrived.wait()
        await open_breaker(upstream)

        slow_released.set()

        assert (await late).status_code == 200
        assert breaker_open(registry) == 1
        with pytest.raises(UpstreamUnavailable, match="circuit open"):
            await upstream.request("GET", "/stock/A-1")
    finally:
        await upstream.aclose()
