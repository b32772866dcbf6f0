"""An upstream with several replicas: calls take turns, a refusing replica is passed over."""

import httpx
import pytest

from shopflow_kit.retry_budget import RetryPolicy
from shopflow_kit.upstream import Upstream, UpstreamPolicy, UpstreamUnavailable
from shopflow_kit.upstream_balance import replica_urls
from shopflow_testing.clock import ManualClock

pytestmark = pytest.mark.unit

REPLICAS = "http://127.0.0.1:8001, http://127.0.0.1:8101"


class Replicas(httpx.MockTransport):
    """Answers as the replica a request reached (its port); a port in `down` refuses."""

    def __init__(self) -> None:
        super().__init__(self._answer)
        self.down: set[int] = set()
        self.reached: list[tuple[int, str]] = []  # (port, Host header) of every answer

    def _answer(self, request: httpx.Request) -> httpx.Response:
        port = request.url.port or 80
        if port in self.down:
            raise httpx.ConnectError("connection refused", request=request)
        self.reached.append((port, request.headers["Host"]))
        return httpx.Response(200, json={"port": port})


@pytest.fixture
async def balanced():
    replicas, clock = Replicas(), ManualClock()
    policy = UpstreamPolicy(retries=RetryPolicy(backoff_seconds=0, max_backoff_seconds=0))
    upstream = Upstream("order", REPLICAS, policy, transport=replicas, clock=clock)
    yield upstream, replicas, clock
    await upstream.aclose()


def test_a_list_of_urls_names_each_replica():
    assert replica_urls(REPLICAS) == ["http://127.0.0.1:8001", "http://127.0.0.1:8101"]
    assert replica_urls("http://order") == ["http://order"]
    with pytest.raises(ValueError, match="no URL"):
        replica_urls(" , ")


async def test_calls_take_turns_and_each_names_its_replica_as_host(balanced):
    upstream, replicas, _ = balanced
    for _ in range(4):
        await upstream.request("GET", "/orders")

    assert replicas.reached == [
        (8001, "127.0.0.1:8001"),
        (8101, "127.0.0.1:8101"),
        (8001, "127.0.0.1:8001"),
        (8101, "127.0.0.1:8101"),
    ]


async def test_a_refused_call_goes_to_the_next_replica_even_when_it_is_not_idempotent(balanced):
    upstream, replicas, clock = balanced
    replicas.down = {8001}

    answers = [await upstream.request("POST", "/orders", json={}) for _ in range(3)]

    assert [a.json()["port"] for a in answers] == [8101, 8101, 8101]
    replicas.down = set()
    clock.advance(1)  # still cooling down: passed over while the other answers
    assert (await upstream.request("GET", "/orders")).json()["port"] == 8101
    clock.advance(2)  # cooled down: its turn again
    ports = {(await upstream.request("GET", "/orders")).json()["port"] for _ in range(2)}
    assert ports == {8001, 8101}


async def test_no_replica_answering_is_the_upstream_unavailable(balanced):
    upstream, replicas, _ = balanced
    replicas.down = {8001, 8101}

    with pytest.raises(UpstreamUnavailable, match="ConnectError"):
        await upstream.request("POST", "/orders", json={})
