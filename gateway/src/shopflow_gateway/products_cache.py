"""The product list, cached in Redis for a few seconds per query: the busiest public read.

Keys are the normalised query string (parameters sorted), hashed to bound their length.
Only 200 answers are kept, with the headers that describe them. Stale for at most the
TTL: stock shown in a list is a hint, reserving it is what counts. A change an admin makes
through a gateway drops every cached page at once (all gateways share the Redis), so the
admin's next list shows it; a list read while the change was being made may still put a
page from before it back, for at most the TTL.
"""

import hashlib
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from redis.asyncio import Redis

from shopflow_gateway.headers import Headers
from shopflow_gateway.metrics import GatewayMetrics
from shopflow_gateway.redis_link import RedisLink

KEY_PREFIX = "gateway:products:"
_KEPT_HEADERS = frozenset({"content-type", "link"})


@dataclass(frozen=True)
class CachedPage:
    body: bytes
    headers: Headers


def cache_key(query: str) -> str:
    """The same key for the same parameters in any order."""
    normalised = urlencode(sorted(parse_qsl(query, keep_blank_values=True)))
    return KEY_PREFIX + hashlib.sha256(normalised.encode()).hexdigest()


class ProductsCache:
    def __init__(self, redis: RedisLink, ttl_seconds: float, metrics: GatewayMetrics) -> None:
        self._redis = redis
        self._ttl_ms = int(ttl_seconds * 1000)
        self._metrics = metrics

    async def get(self, query: str) -> CachedPage | None:
        async def read(client: Redis) -> bytes | None:
            stored = await client.get(cache_key(query))
            return stored if isinstance(stored, bytes) else None

        stored = await self._redis.run("cache", read)
        self._metrics.cache_lookups.labels("hit" if stored else "miss").inc()
        if stored is None:
            return None
        page = json.loads(stored)
        return CachedPage(page["body"].encode("latin-1"), [tuple(pair) for pair in page["headers"]])

    async def put(self, query: str, body: bytes, headers: Headers) -> None:
        kept = [(n, v) for n, v in headers if n.lower() in _KEPT_HEADERS]
        page = json.dumps({"body": body.decode("latin-1"), "headers": kept})

        async def write(client: Redis) -> None:
            await client.set(cache_key(query), page, px=self._ttl_ms)

        await self._redis.run("cache", write)

    async def forget(self) -> None:
        """Drop every cached page: the catalogue changed."""

        async def drop(client: Redis) -> None:
            keys = [key async for key in client.scan_iter(match=KEY_PREFIX + "*", count=500)]
            if keys:
                await client.unlink(*keys)

        await self._redis.run("cache", drop)
