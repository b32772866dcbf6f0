"""Rate limits: a token bucket per client in Redis, taken atomically by one Lua script.

The client is the token's subject, or the IP address of an anonymous caller. The script
refills the bucket for the time since its last use (Redis's own clock, so that every
gateway process agrees), takes one token if it can, and says how long until one is
there if not. redis-py sends it with EVALSHA and loads it again after a NOSCRIPT (a
restarted or flushed Redis). Without Redis, calls are not limited (ADR 0005).
"""

import math
from dataclasses import dataclass

from redis.asyncio import Redis

from shopflow_gateway.redis_link import RedisLink
from shopflow_gateway.settings import RateLimit

# KEYS[1]: the bucket; ARGV: burst, tokens per second. Returns {allowed, tokens left, wait ms}.
TOKEN_BUCKET = """
local burst = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2]) / 1000
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * per_ms)
local allowed, wait_ms = 0, 0
if tokens >= 1 then
  tokens, allowed = tokens - 1, 1
else
  wait_ms = math.ceil((1 - tokens) / per_ms)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / per_ms) + 1000)
return {allowed, math.floor(tokens), wait_ms}
"""

KEY_PREFIX = "gateway:rate:"


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    remaining: int
    retry_after_seconds: int  # whole seconds, as Retry-After wants; 0 when allowed


def decision_from_reply(reply: list[int]) -> RateDecision:
    """The script's reply as a decision; a refusal always asks to wait at least 1 s."""
    allowed, remaining, wait_ms = (int(value) for value in reply)
    retry_after = 0 if allowed else max(1, math.ceil(wait_ms / 1000))
    return RateDecision(bool(allowed), remaining, retry_after)


def client_key(customer_id: str | None, address: str | None) -> str:
    """Whose bucket a call takes from: the token's subject, else the caller's address."""
    if customer_id is not None:
        return f"{KEY_PREFIX}customer:{customer_id}"
    return f"{KEY_PREFIX}ip:{address or 'unknown'}"


class RateLimiter:
    def __init__(self, redis: RedisLink, limit: RateLimit) -> None:
        self._redis = redis
        self.limit = limit
        self._take = redis.client.register_script(TOKEN_BUCKET)

    async def take(self, key: str) -> RateDecision | None:
        """This call's decision, or None when Redis cannot say (the call goes through)."""

        async def take_token(_client: Redis) -> list[int]:  # the script is bound to it
            reply: list[int] = await self._take([key], [self.limit.burst, self.limit.per_second])
            return reply

        reply = await self._redis.run("rate_limit", take_token)
        return None if reply is None else decision_from_reply(reply)
