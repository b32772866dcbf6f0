"""The gateway's Redis, which it can live without: every call fails open.

Rate limits and the product cache make the gateway better, not able to answer. While
Redis is unreachable each call returns None at once (after one failed attempt the link
rests for `retry_seconds` instead of paying a timeout per request), the request is
counted in `gateway_redis_fail_open_total`, and one log line marks each change between
up and down (ADR 0005).
"""

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from shopflow_gateway.metrics import GatewayMetrics

logger = logging.getLogger(__name__)

T = TypeVar("T")


class RedisLink:
    def __init__(
        self,
        url: str,
        metrics: GatewayMetrics,
        *,
        timeout_seconds: float,
        retry_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # No client-side retries: one failed attempt is enough to fail open.
        self.client = Redis.from_url(
            url,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            retry=Retry(NoBackoff(), 0),
        )
        self._metrics = metrics
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._resting_until = 0.0
        self.available = True

    async def run(self, feature: str, call: Callable[[Redis], Awaitable[T]]) -> T | None:
        """`call`'s result, or None when Redis cannot answer (counted for `feature`)."""
        if self._clock() < self._resting_until:
            self._metrics.redis_fail_open.labels(feature).inc()
            return None
        try:
            result = await call(self.client)
        except (RedisError, OSError) as error:
            self._went_down(error)
            self._metrics.redis_fail_open.labels(feature).inc()
            return None
        self._came_back()
        return result

    async def aclose(self) -> None:
        await self.client.aclose()

    def _went_down(self, error: Exception) -> None:
        self._resting_until = self._clock() + self._retry_seconds
        if self.available:
            self.available = False
            self._metrics.redis_available.set(0)
            logger.warning(
                "redis unreachable, serving without rate limits and cache: %s: %s",
                type(error).__name__,
                error,
            )

    def _came_back(self) -> None:
        if not self.available:
            self.available = True
            self._metrics.redis_available.set(1)
            logger.info("redis reachable again: rate limits and cache are back")
