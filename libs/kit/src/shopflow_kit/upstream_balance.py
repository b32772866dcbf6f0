"""One upstream served by several replicas: its URL a comma-separated list, calls balanced.

    SHOPFLOW_ORDER_URL=http://127.0.0.1:8001,http://127.0.0.1:8101

`Upstream` takes such a list as its base URL and sends through `Balanced`: each request
goes to the next replica in turn. A replica that refuses the connection (or does not
accept it in time) was sent nothing, so the same request goes on to the next replica at
once, whatever its method, and that replica is passed over for `cooldown` seconds. A
replica that dies with a request in flight is the retry policy's to handle: an idempotent
call is sent again, and `Balanced` sends it elsewhere.

One list, one breaker: the breaker opens when no replica answers, which is what a caller
needs to know. A cluster's Service does this in front of its pods; this is the same
promise for the local stack's replicas (`make up replicas=2`).
"""

import itertools
import time

import httpx

from shopflow_kit.clock import Clock

NOTHING_SENT = (httpx.ConnectError, httpx.ConnectTimeout)
"""Failures before a request left: safe to send to another replica, whatever it was."""


def replica_urls(base_url: str) -> list[str]:
    """The replicas in a base URL: "http://a,http://b" → both; a single URL → itself."""
    urls = [url.strip() for url in base_url.split(",") if url.strip()]
    if not urls:
        raise ValueError(f"no URL in {base_url!r}")
    return urls


class Balanced(httpx.AsyncBaseTransport):
    """Round robin over replicas, passing over those that just refused a connection."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        urls: list[str],
        *,
        cooldown: float = 2.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self._inner = inner
        self._replicas = [httpx.URL(url) for url in urls]
        self._turns = itertools.cycle(range(len(self._replicas)))
        self._refused_until = [0.0] * len(self._replicas)
        self._cooldown = cooldown
        self._clock = clock

    def _order(self) -> list[int]:
        """Every replica once, starting at the next turn; those cooling down last."""
        start = next(self._turns)
        turn = [(start + n) % len(self._replicas) for n in range(len(self._replicas))]
        now = self._clock()
        return sorted(turn, key=lambda i: self._refused_until[i] > now)  # stable: keeps turns

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        failure: Exception | None = None
        for index in self._order():
            replica = self._replicas[index]
            request.url = request.url.copy_with(
                scheme=replica.scheme, host=replica.host, port=replica.port
            )
            request.headers["Host"] = request.url.netloc.decode("ascii")
            try:
                return await self._inner.handle_async_request(request)
            except NOTHING_SENT as refused:
                self._refused_until[index] = self._clock() + self._cooldown
                failure = refused
        assert failure is not None  # at least one replica, each tried once
        raise failure

    async def aclose(self) -> None:
        await self._inner.aclose()
