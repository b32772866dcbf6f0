"""The stack's Redis: rate limits, cache and breaker state; nothing in it needs to survive."""

from __future__ import annotations

import redis.asyncio as redis

from shopflow_stack.config import StackConfig
from shopflow_stack.install import ensure_command
from shopflow_stack.process import LocalProcess


class RedisServer(LocalProcess):
    kind = "redis"

    def __init__(self, stack: StackConfig) -> None:
        super().__init__("redis", stack.redis_port, stack)

    def argv(self) -> list[str]:
        data = self.stack.state_dir / "redis"
        data.mkdir(parents=True, exist_ok=True)
        return [
            ensure_command("redis-server", "redis-server"),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(data),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--protected-mode", "yes",
        ]  # fmt: skip

    def prepare(self) -> None:
        ensure_command("redis-server", "redis-server")

    async def probe(self) -> None:
        client = redis.Redis.from_url(self.stack.redis_url, socket_timeout=2)
        try:
            if not await client.ping():
                raise ConnectionError("redis did not answer PING")
        finally:
            await client.aclose()
