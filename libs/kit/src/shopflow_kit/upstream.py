"""Upstream: the one way a ShopFlow service calls another HTTP service synchronously.

Each upstream has one pooled client with explicit timeouts, budgeted retries of idempotent
calls (`retry_budget`) and a circuit breaker. A call left without an answer raises
`UpstreamUnavailable`, a 503 `Problem` with `Retry-After` that routes let propagate:

    metrics = ServiceMetrics()  # then create_app(..., metrics=metrics)
    inventory = Upstream("inventory", settings.inventory_url, settings.inventory_policy,
                         registry=metrics.registry)
    products = (await inventory.request("GET", "/products", params={"sku": skus})).json()

The base URL may list several replicas, comma-separated: calls are balanced over them
(`shopflow_kit.upstream_balance`).

A proxy forwards a request as it came with `build_request(...)` and `stream(request)`,
which answers with any status, the body still unread, for the caller to relay and close.

The breaker counts unavailability only (ADR 0009): a transport error, a timeout of the
upstream's, or an answer in `unavailable_statuses` (502, 503, 504 unless a caller says
otherwise for an upstream or a call). A 500 is an answer about one request, and a call
its caller cancelled (a deadline of its own, a client gone) says nothing of the upstream:
neither is counted, either way. pybreaker keeps the counts and the state; the call runs
outside its `calling()` block, which only records the outcome, so that a cancellation
never reaches it. When a trial call is due is decided here, on the upstream's `clock`
(see `shopflow_kit.clock`), never on pybreaker's own wall clock.
"""

import logging
import math
import time
from collections.abc import Collection, Mapping, Sequence
from contextlib import suppress
from typing import Any

import httpx
import pybreaker
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, PositiveFloat, PositiveInt
from starlette.responses import JSONResponse

from shopflow_kit.client_spans import traced_transport
from shopflow_kit.clock import Clock
from shopflow_kit.problems import UPSTREAM_UNAVAILABLE, Problem
from shopflow_kit.retry_budget import TRANSPORT_FAILURES, Retries, RetryPolicy, Send
from shopflow_kit.upstream_balance import Balanced, replica_urls
from shopflow_kit.upstream_telemetry import BreakerWatch, metrics_for

logger = logging.getLogger(__name__)


class UpstreamPolicy(BaseModel, frozen=True):
    """How one upstream is called; a service keeps one per upstream in its settings."""

    timeout_seconds: PositiveFloat = 5.0  # each read, write, and wait for a pooled connection
    connect_timeout_seconds: PositiveFloat = 1.0
    max_connections: PositiveInt = 100
    retries: RetryPolicy = RetryPolicy()
    breaker_fail_max: PositiveInt = 5  # failed calls in a row that open the breaker
    breaker_reset_seconds: PositiveFloat = 10.0  # open this long before a trial call


class UpstreamUnavailable(Problem):
    """An upstream gave no answer: breaker open, transport error or 5xx after retries."""

    def __init__(self, upstream_name: str, reason: str, retry_after_seconds: float) -> None:
        detail = f"{upstream_name} is unavailable: {reason}"
        super().__init__(UPSTREAM_UNAVAILABLE, detail, upstream=upstream_name)
        self.upstream_name = upstream_name
        self.reason = reason
        self.retry_after_seconds = retry_after_seconds  # until a trial call; 0 if not open

    def response(
        self, instance: str | None = None, headers: Mapping[str, str] | None = None
    ) -> JSONResponse:
        retry_after = str(max(1, math.ceil(self.retry_after_seconds)))
        return super().response(instance, {"Retry-After": retry_after, **(headers or {})})


UNAVAILABLE_STATUSES: frozenset[int] = frozenset({502, 503, 504})
"""Answers that say the upstream cannot serve now: failures for its breaker."""


class _NoAnswerError(Exception):
    """A transport error left after retries: a failure for the breaker."""


class _UnavailableError(Exception):
    """What a failed call tells the breaker inside its `calling()` block."""


class _OpenedByOurClock(pybreaker.CircuitMemoryStorage):
    """pybreaker's state without its record of when the breaker opened: pybreaker then
    never holds a call back by its own clock; `Upstream._admit` decides by the upstream's."""

    @property
    def opened_at(self) -> None:
        return None

    @opened_at.setter
    def opened_at(self, _: object) -> None:
        pass


class Upstream:
    """An HTTP service this service calls: pooled connections, retries, a circuit breaker."""

    def __init__(
        self,
        name: str,
        base_url: str,
        policy: UpstreamPolicy | None = None,
        *,
        registry: CollectorRegistry | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        unavailable_statuses: Collection[int] = UNAVAILABLE_STATUSES,
        clock: Clock = time.monotonic,
    ) -> None:
        self.name = name
        self.unavailable_statuses = frozenset(unavailable_statuses)
        self.policy = policy = policy or UpstreamPolicy()
        timeout = httpx.Timeout(policy.timeout_seconds, connect=policy.connect_timeout_seconds)
        limits = httpx.Limits(max_connections=policy.max_connections)
        pool = transport or httpx.AsyncHTTPTransport(limits=limits)
        replicas = replica_urls(base_url)  # several: balanced over (`upstream_balance`)
        if len(replicas) > 1:
            pool = Balanced(pool, replicas, clock=clock)
        self._client = httpx.AsyncClient(
            base_url=replicas[0], timeout=timeout, transport=traced_transport(pool)
        )
        self._metrics = metrics_for(registry if registry is not None else CollectorRegistry(), name)
        self._clock = clock
        self._retries = Retries(policy.retries, self._metrics.retries.labels(name).inc, clock)
        self._watch = BreakerWatch(name, self._metrics.breaker_state, clock)
        self._breaker = pybreaker.CircuitBreaker(
            policy.breaker_fail_max,
            policy.breaker_reset_seconds,
            state_storage=_OpenedByOurClock(pybreaker.STATE_CLOSED),
            listeners=[self._watch],
            throw_new_error_on_trip=False,  # `_record` swallows the outcome it raised
        )
        self._trial_in_flight = False

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        unavailable_statuses: Collection[int] | None = None,
    ) -> httpx.Response:
        """The upstream's answer, 4xx and 500 included; raises `UpstreamUnavailable` if
        there is none, or if it is one of `unavailable_statuses` (the upstream's own unless
        given) after retries.

        `idempotent` calls are retried; unless told, those are GET, HEAD, PUT, DELETE,
        OPTIONS and any call with an `Idempotency-Key` header.
        """
        request = self._client.build_request(
            method, path, json=json, params=params, headers=headers
        )
        return await self._guarded(request, idempotent, unavailable_statuses, stream=False)

    def build_request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str]
        | Sequence[tuple[str, str]]
        | Sequence[tuple[bytes, bytes]]
        | None = None,
        content: bytes | None = None,
    ) -> httpx.Request:
        """A request to this upstream, `path` relative to its base URL (a query included)."""
        return self._client.build_request(method, path, headers=headers, content=content)

    async def stream(
        self,
        request: httpx.Request,
        *,
        idempotent: bool | None = None,
        unavailable_statuses: Collection[int] | None = None,
    ) -> httpx.Response:
        """The upstream's answer to `request` with any status, its body not read yet: the
        caller relays it and closes it. Raises `UpstreamUnavailable` only without an answer.

        Retries and the breaker work as for `request`: an answer in `unavailable_statuses`
        left after retries still counts as a failure, but is answered rather than raised,
        so a proxy passes it on unchanged.
        """
        return await self._guarded(request, idempotent, unavailable_statuses, stream=True)

    async def _guarded(
        self,
        request: httpx.Request,
        idempotent: bool | None,
        unavailable_statuses: Collection[int] | None,
        *,
        stream: bool,
    ) -> httpx.Response:
        unavailable = self.unavailable_statuses
        if unavailable_statuses is not None:
            unavailable = frozenset(unavailable_statuses)
        trial = self._admit()
        try:
            response = await self._call(request, idempotent, stream)
        except _NoAnswerError as no_answer:
            self._record(failed=True, trial=trial)
            reason, cause = str(no_answer), no_answer.__cause__
            raise UpstreamUnavailable(self.name, reason, self._until_trial()) from cause
        finally:  # a cancelled call, too, leaves the trial to the next one
            self._trial_in_flight &= not trial
        failed = response.status_code in unavailable
        self._record(failed, trial=trial)
        if failed and not stream:
            reason = f"answered {response.status_code}"
            raise UpstreamUnavailable(self.name, reason, self._until_trial())
        return response

    def _admit(self) -> bool:
        """Lets the call through, or raises while the breaker is open; True for the one
        trial call a breaker lets through once `breaker_reset_seconds` have passed."""
        state = self._breaker.current_state
        if state == pybreaker.STATE_CLOSED:
            return False
        if self._trial_in_flight or self._until_trial() > 0:
            self._metrics.calls.labels(self.name, "short_circuited").inc()
            raise UpstreamUnavailable(self.name, "circuit open", self._until_trial())
        self._trial_in_flight = True
        return True

    def _record(self, failed: bool, *, trial: bool) -> None:
        """The call's outcome, for pybreaker to count (and to open or close the breaker)."""
        if self._breaker.current_state == pybreaker.STATE_OPEN and not trial:
            return  # other calls opened it meanwhile: only the trial call's outcome counts
        with suppress(_UnavailableError), self._breaker.calling():
            if failed:
                raise _UnavailableError

    async def _call(
        self, request: httpx.Request, idempotent: bool | None, stream: bool
    ) -> httpx.Response:
        started = time.perf_counter()
        send = self._send_streaming() if stream else self._client.send
        try:
            response = await self._retries.send(send, request, idempotent)
        except TRANSPORT_FAILURES as exc:
            self._metrics.calls.labels(self.name, "transport_error").inc()
            raise _NoAnswerError(type(exc).__name__) from exc
        finally:
            self._metrics.duration.labels(self.name).observe(time.perf_counter() - started)
        outcome = "client_error" if response.is_client_error else "success"
        if response.is_server_error:
            outcome = "server_error"
        self._metrics.calls.labels(self.name, outcome).inc()
        return response

    def _send_streaming(self) -> Send:
        """Sends with the body unread; a retry first closes the answer it replaces."""
        answers: list[httpx.Response] = []

        async def send(request: httpx.Request) -> httpx.Response:
            while answers:  # frees the connection the replaced answer holds
                await answers.pop().aclose()
            answers.append(await self._client.send(request, stream=True))
            return answers[-1]

        return send

    def _until_trial(self) -> float:
        if self._breaker.current_state != pybreaker.STATE_OPEN:
            return 0.0
        trial_at = self._watch.opened_at + self.policy.breaker_reset_seconds
        return max(0.0, trial_at - self._clock())
