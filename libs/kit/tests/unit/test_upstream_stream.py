"""The kit's pass-through `Upstream.stream`, as the gateway uses it: answers of any status,
retried ones closed, unavailability (502-504) still counted by the breaker, a 500 not."""

import httpx
import pytest

from shopflow_kit import RetryPolicy, Upstream, UpstreamPolicy, UpstreamUnavailable

pytestmark = pytest.mark.unit


class ScriptedStream(httpx.AsyncByteStream):
    def __init__(self) -> None:
        self.closed = False

    async def __aiter__(self):
        yield b'{"status": 503}'

    async def aclose(self) -> None:
        self.closed = True


class ScriptedService(httpx.AsyncBaseTransport):
    """Answers with the scripted statuses in turn (the last repeats), bodies left open."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.streams: list[ScriptedStream] = []
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        self.streams.append(ScriptedStream())
        return httpx.Response(status, stream=self.streams[-1])


def upstream(service, **policy):
    retries = RetryPolicy(backoff_seconds=0, max_backoff_seconds=0)
    return Upstream(
        "order", "http://order", UpstreamPolicy(retries=retries, **policy), transport=service
    )


async def test_a_5xx_is_answered_not_raised_and_replaced_answers_are_closed():
    service = ScriptedService(503, 503, 500)
    order = upstream(service)

    answer = await order.stream(order.build_request("GET", "/orders/1"))

    assert answer.status_code == 500
    assert [s.closed for s in service.streams] == [True, True, False]  # the last is the caller's
    await answer.aclose()
    assert service.streams[-1].closed


async def test_answered_503s_still_open_the_breaker():
    service = ScriptedService(503)
    order = upstream(service, breaker_fail_max=2)

    for _ in range(2):
        await (await order.stream(order.build_request("POST", "/orders"))).aclose()

    with pytest.raises(UpstreamUnavailable, match="circuit open"):
        await order.stream(order.build_request("POST", "/orders"))
    assert len(service.streams) == 2


async def test_a_4xx_is_an_answer_and_not_a_failure():
    service = ScriptedService(404)
    order = upstream(service, breaker_fail_max=1)

    for _ in range(3):
        answer = await order.stream(order.build_request("GET", "/orders/2"))
        assert answer.status_code == 404
        await answer.aclose()


async def test_answered_500s_are_relayed_and_never_open_the_breaker():
    service = ScriptedService(500)
    order = upstream(service, breaker_fail_max=2)

    for _ in range(5):
        answer = await order.stream(order.build_request("GET", "/orders?before=x"))
        assert answer.status_code == 500
        await answer.aclose()

    assert len(service.streams) == 5


async def test_a_proxied_request_reaches_the_upstream_as_it_came():
    service = ScriptedService(201)
    order = upstream(service)

    request = order.build_request(
        "POST", "/orders?source=web", headers=[("X-Request-ID", "r-1")], content=b'{"sku": "A-1"}'
    )
    await (await order.stream(request)).aclose()

    [sent] = service.requests
    assert (sent.method, str(sent.url)) == ("POST", "http://order/orders?source=web")
    assert sent.headers["X-Request-ID"] == "r-1"
    assert await sent.aread() == b'{"sku": "A-1"}'


async def test_a_call_its_caller_says_is_not_idempotent_is_sent_once():
    service = ScriptedService(503, 200)
    order = upstream(service)

    answer = await order.stream(order.build_request("GET", "/orders/3"), idempotent=False)

    assert answer.status_code == 503
    assert len(service.requests) == 1
    await answer.aclose()


async def test_answers_a_caller_says_speak_for_someone_else_never_open_the_breaker():
    service = ScriptedService(503)
    order = upstream(service, breaker_fail_max=2)

    for _ in range(4):
        request = order.build_request("POST", "/orders")
        answer = await order.stream(request, unavailable_statuses=())
        assert answer.status_code == 503
        await answer.aclose()

    assert len(service.requests) == 4
