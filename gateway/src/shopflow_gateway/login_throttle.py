"""Failed logins, counted per username and per client, so that guessing passwords is slow.

Every `POST /auth/token` counts against the username tried and against the client that
tried it, in Redis (so every gateway process shares the counts), for `window_seconds`
from the first one, before any password is checked: counted first, concurrent guesses
cannot all pass a check made before any of them failed. A successful login takes its
attempt back (and clears its username's count), so only failures add up. Once a count
is over its limit, attempts are refused with 429 and `Retry-After` until that window
ends: the right password too, for that username. The per-username limit is the lower
one: it is what protects an account from a botnet; the per-client one bounds a single
client spraying many usernames. Without Redis nothing is counted (ADR 0005), and
scrypt's cost (0.1 to 0.3 s of CPU per try) is the only bound left.
"""

import hashlib
import math

from pydantic import BaseModel, PositiveInt
from redis.asyncio import Redis

from shopflow_gateway.redis_link import RedisLink

KEY_PREFIX = "gateway:login-failures:"

# KEYS[1]: a count; one attempt taken back, the key gone once nothing is left in it.
_TAKE_BACK = """
if redis.call('DECR', KEYS[1]) <= 0 then redis.call('DEL', KEYS[1]) end
"""


class LoginThrottleLimits(BaseModel, frozen=True):
    """Failed logins allowed per username and per client within `window_seconds`."""

    per_username: PositiveInt = 5
    per_client: PositiveInt = 20
    window_seconds: PositiveInt = 300


class LoginThrottle:
    def __init__(self, redis: RedisLink, limits: LoginThrottleLimits) -> None:
        self._redis = redis
        self.limits = limits
        self._take_back = redis.client.register_script(_TAKE_BACK)

    async def attempt(self, username: str, client: str) -> int:
        """Counts an attempt; how long to wait if it is one too many, else 0 (go ahead)."""
        keys = [_username_key(username), _client_key(client)]
        limits = [self.limits.per_username, self.limits.per_client]

        async def count(redis: Redis) -> list[int]:
            pipeline = redis.pipeline(transaction=True)
            for key in keys:
                pipeline.incr(key)
                pipeline.expire(key, self.limits.window_seconds, nx=True)  # from the first
                pipeline.pttl(key)
            return list(await pipeline.execute())

        replies = await self._redis.run("login_throttle", count)
        if replies is None:
            return 0
        waits = [
            math.ceil(max(int(ttl_ms), 1000) / 1000)
            for limit, attempts, ttl_ms in zip(limits, replies[0::3], replies[2::3], strict=True)
            if int(attempts) > limit
        ]
        return max(waits, default=0)

    async def succeeded(self, username: str, client: str) -> None:
        """The attempt was no guess: clear the username's count, take back the client's."""

        async def forget(redis: Redis) -> None:
            await redis.delete(_username_key(username))
            await self._take_back([_client_key(client)])

        await self._redis.run("login_throttle", forget)


def _username_key(username: str) -> str:
    # Hashed: a key of bounded length and no client text in Redis.
    return f"{KEY_PREFIX}user:{hashlib.sha256(username.encode()).hexdigest()[:32]}"


def _client_key(client: str) -> str:
    return f"{KEY_PREFIX}client:{client}"
