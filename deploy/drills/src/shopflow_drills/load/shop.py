"""The shop's public API as a well-behaved client uses it: log in, place an order with an
Idempotency-Key and retry it with the same key after a refusal, honouring Retry-After.

Each attempt is recorded as the client saw it; nothing is retried that a real client
would not retry (a 4xx other than 429 is an answer), and retries are bounded, so a shop
that keeps refusing ends with the order never accepted and the refusals on record.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from shopflow_drills.load.record import Attempt, CancelAttempt

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
Json = dict[str, Any]


@dataclass(frozen=True)
class RetryPolicy:
    """How long a client keeps trying: attempts and a time budget, whichever ends first."""

    attempts: int = 8
    budget_seconds: float = 60.0
    backoff_seconds: float = 0.2  # without Retry-After: 0.2, 0.4, 0.8 … s, jittered
    max_backoff_seconds: float = 5.0

    def wait(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        ceiling = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** min(attempt, 16))
        return random.uniform(ceiling / 2, ceiling)


@dataclass(frozen=True)
class Answer:
    status: int | None
    body: Json | None = None
    retry_after: float | None = None
    error: str | None = None

    @property
    def problem(self) -> str | None:
        """A problem+json answer's type, by its last segment (`circuit-open`, `rate-limited`)."""
        kind = self.body.get("type") if self.body else None
        return kind.rstrip("/").rsplit("/", 1)[-1] if isinstance(kind, str) else None


class ShopClient:
    """One HTTP session on the gateway, with a bearer token per user (renewed once on 401)."""

    def __init__(
        self,
        gateway_url: str,
        session: aiohttp.ClientSession,
        clock: Callable[[], float],
        passwords: dict[str, str],
        retry: RetryPolicy = RetryPolicy(),
    ) -> None:
        self.url = gateway_url.rstrip("/")
        self.session = session
        self.clock = clock  # seconds from the run's start
        self.passwords = passwords
        self.retry = retry
        self._tokens: dict[str, str] = {}
        # One login per user at a time: the gateway counts every attempt against the
        # username before checking it (login_throttle.py), so a burst of concurrent
        # logins for one customer (clients coming back together) would lock it out.
        self._logins: dict[str, asyncio.Lock] = {}

    async def login(self, user: str) -> None:
        body = {"username": user, "password": self.passwords[user]}
        async with self.session.post(f"{self.url}/auth/token", json=body) as response:
            if response.status != 200:
                raise LoginRefusedError(f"{user}: {response.status} {await response.text()}")
            self._tokens[user] = (await response.json())["access_token"]

    async def place(
        self, user: str, key: str, items: list[Json], payment_method: str, started: float
    ) -> list[Attempt]:
        """POST /api/v1/orders until a 202 or an answer not worth retrying; every attempt."""
        body = {"items": items, "payment_method": payment_method}
        attempts: list[Attempt] = []

        async def attempt() -> Answer:
            sent = self.clock()
            answer = await self.call(user, "POST", "/api/v1/orders", body, {"Idempotency-Key": key})
            order_id = answer.body.get("id") if answer.body and answer.status == 202 else None
            attempts.append(
                Attempt(
                    sent_at=sent,
                    latency=self.clock() - sent,
                    status=answer.status,
                    error=answer.error,
                    problem=answer.problem if order_id is None else None,
                    retry_after=answer.retry_after,
                    order_id=order_id,
                )
            )
            return answer

        await self._until_answered(attempt, started)
        return attempts

    async def cancel(self, user: str, order_id: str, started: float) -> CancelAttempt:
        """POST /api/v1/orders/{id}/cancel (idempotent), retried as a place is; the last answer."""
        last = CancelAttempt(sent_at=self.clock())

        async def attempt() -> Answer:
            nonlocal last
            last = CancelAttempt(sent_at=self.clock())
            answer = await self.call(user, "POST", f"/api/v1/orders/{order_id}/cancel")
            last.status, last.error = answer.status, answer.error
            return answer

        await self._until_answered(attempt, started)
        return last

    async def get(self, user: str, path: str) -> Answer:
        return await self.call(user, "GET", path)

    async def call(
        self,
        user: str,
        method: str,
        path: str,
        body: Json | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """One request as `user`; a 401 renews the token and asks once more."""
        for renewed in (False, True):
            if user not in self._tokens or renewed:
                stale = self._tokens.get(user) if renewed else None
                async with self._logins.setdefault(user, asyncio.Lock()):
                    if self._tokens.get(user) == stale:  # nobody logged in meanwhile
                        try:
                            await self.login(user)
                        except (aiohttp.ClientError, TimeoutError) as error:
                            return Answer(None, error=_describe(error))
            auth = {"Authorization": f"Bearer {self._tokens[user]}", **(headers or {})}
            answer = await self._request(method, path, body, auth)
            if answer.status != 401:
                return answer
        return answer

    async def _request(
        self, method: str, path: str, body: Json | None, headers: dict[str, str]
    ) -> Answer:
        try:
            async with self.session.request(
                method, f"{self.url}{path}", json=body, headers=headers
            ) as response:
                text = await response.text()
                return Answer(
                    response.status,
                    _json_object(text),
                    _retry_after(response.headers.get("Retry-After")),
                )
        except (aiohttp.ClientError, TimeoutError) as error:
            return Answer(None, error=_describe(error))

    async def _until_answered(
        self, attempt: Callable[[], Awaitable[Answer]], started: float
    ) -> None:
        for number in range(self.retry.attempts):
            answer = await attempt()
            if answer.status is not None and answer.status not in RETRIED_STATUSES:
                return
            wait = self.retry.wait(number, answer.retry_after)
            if (
                number + 1 == self.retry.attempts
                or self.clock() + wait - started > self.retry.budget_seconds
            ):
                return
            await asyncio.sleep(wait)


class LoginRefusedError(RuntimeError):
    """The gateway refused a demo user's password: the run cannot start."""


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP-date: the gateway sends seconds, so the backoff is good enough


def _json_object(text: str) -> Json | None:
    """The body as a JSON object, or None: a proxy's HTML error page is still an answer."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:200]


def monotonic_clock(origin: float) -> Callable[[], float]:
    return lambda: time.monotonic() - origin
