"""Retries of upstream calls, rationed so that a failing upstream never sees a retry storm.

A call is retried on transport errors and on 429/502/503/504, with jittered exponential
backoff, a bound on attempts and on total time, waiting as long as a small `Retry-After`
asks. Per-call limits alone still multiply a failing upstream's load by the attempts, so
each retry also draws on a `RetryBudget` shared by all calls to that upstream: over a
sliding window, retries stay within `max(min_retries_per_window, ratio × requests)`.
"""

import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from pydantic import BaseModel, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt
from tenacity import AsyncRetrying, RetryCallState
from tenacity.retry import retry_if_exception_type, retry_if_result
from tenacity.stop import stop_after_attempt, stop_before_delay
from tenacity.wait import wait_random_exponential

from shopflow_kit.clock import Clock

TRANSPORT_FAILURES = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
"""The transport errors worth retrying: the upstream may answer the next attempt."""

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_RETRIED_STATUSES = frozenset({429, 502, 503, 504})

Send = Callable[[httpx.Request], Awaitable[httpx.Response]]


class RetryPolicy(BaseModel, frozen=True):
    """How often and how patiently an idempotent upstream call is tried again."""

    attempts: PositiveInt = 3  # the first one included
    backoff_seconds: NonNegativeFloat = 0.1  # retry n waits at random up to backoff × 2^(n-1)
    max_backoff_seconds: NonNegativeFloat = 2.0
    deadline_seconds: PositiveFloat = 10.0  # no retry starts later than this after the first
    max_retry_after_seconds: NonNegativeFloat = 2.0  # a longer Retry-After ends the retries
    budget_ratio: NonNegativeFloat = 0.2
    min_retries_per_window: NonNegativeInt = 10
    window_seconds: PositiveFloat = 10.0


class RetryBudget:
    """Counts requests and retries over the last `window_seconds` and rations retries."""

    def __init__(
        self,
        ratio: float,
        min_retries_per_window: int,
        window_seconds: float,
        clock: Clock = time.monotonic,
    ) -> None:
        self.ratio = ratio
        self.min_retries_per_window = min_retries_per_window
        self.window_seconds = window_seconds
        self._clock = clock
        self._requests: deque[float] = deque()
        self._retries: deque[float] = deque()

    def record_request(self) -> None:
        self._requests.append(self._forget_expired())

    def can_retry(self) -> bool:
        """Whether one more retry keeps the window's retries within the budget."""
        self._forget_expired()
        allowed = max(self.min_retries_per_window, self.ratio * len(self._requests))
        return len(self._retries) + 1 <= allowed

    def record_retry(self) -> None:
        self._retries.append(self._forget_expired())

    def _forget_expired(self) -> float:
        """Drops what fell out of the window; returns the current time."""
        now = self._clock()
        for moments in (self._requests, self._retries):
            while moments and moments[0] <= now - self.window_seconds:
                moments.popleft()
        return now


class Retries:
    """The retries of one upstream: `RetryPolicy` per call, one `RetryBudget` for all calls."""

    def __init__(
        self, policy: RetryPolicy, on_retry: Callable[[], None], clock: Clock = time.monotonic
    ) -> None:
        self.policy = policy
        self.budget = RetryBudget(
            policy.budget_ratio, policy.min_retries_per_window, policy.window_seconds, clock
        )
        self._on_retry = on_retry
        self._backoff = wait_random_exponential(policy.backoff_seconds, policy.max_backoff_seconds)
        self._limits = stop_after_attempt(policy.attempts) | stop_before_delay(
            policy.deadline_seconds
        )

    async def send(
        self, send: Send, request: httpx.Request, idempotent: bool | None
    ) -> httpx.Response:
        """The last response, or the last transport error raised again.

        Only idempotent calls are retried; unless told, those are GET, HEAD, PUT, DELETE,
        OPTIONS and any call with an `Idempotency-Key` header.
        """
        self.budget.record_request()
        if idempotent is None:
            keyed = IDEMPOTENCY_KEY_HEADER in request.headers
            idempotent = keyed or request.method in _IDEMPOTENT_METHODS
        if not idempotent:
            return await send(request)
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TRANSPORT_FAILURES) | retry_if_result(self._worth_retry),
            stop=self._stop,
            wait=self._wait,
            before_sleep=self._spend_retry,
            retry_error_callback=_last_outcome,
        )
        response: httpx.Response = await retrying(send, request)
        return response

    def _worth_retry(self, response: httpx.Response) -> bool:
        asked = _retry_after_seconds(response)
        return (
            response.status_code in _RETRIED_STATUSES
            and asked <= self.policy.max_retry_after_seconds
        )

    def _stop(self, state: RetryCallState) -> bool:
        return self._limits(state) or not self.budget.can_retry()

    def _wait(self, state: RetryCallState) -> float:
        """Jittered backoff, or longer if the upstream asked for it with `Retry-After`."""
        asked = 0.0
        if state.outcome is not None and not state.outcome.failed:
            asked = _retry_after_seconds(state.outcome.result())
        return max(self._backoff(state), asked)

    def _spend_retry(self, _state: RetryCallState) -> None:
        self.budget.record_retry()
        self._on_retry()


def _retry_after_seconds(response: httpx.Response) -> float:
    """The response's `Retry-After` in seconds: 0 if absent, infinite for an HTTP date."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", 0)))
    except ValueError:
        return math.inf


def _last_outcome(state: RetryCallState) -> Any:
    assert state.outcome is not None  # tenacity calls this only after an attempt
    return state.outcome.result()
