"""Readiness checks for the infrastructure a service depends on.

Each factory returns a `ReadinessCheck` doing a cheap real round-trip, not a TCP connect:
a dependency that accepts connections but cannot answer is not ready.
"""

from aiokafka.client import AIOKafkaClient
from redis.asyncio import Redis

from shopflow_kit.db import Database
from shopflow_kit.health import ReadinessCheck


def database_check(database: Database) -> ReadinessCheck:
    """`SELECT 1` through the service's connection pool."""
    return database.ping


def redis_check(redis_url: str) -> ReadinessCheck:
    """`PING` on a fresh connection, closed afterwards."""

    async def ping_redis() -> None:
        client = Redis.from_url(redis_url)
        try:
            await client.ping()
        finally:
            await client.aclose()

    return ping_redis


def kafka_check(bootstrap_servers: str) -> ReadinessCheck:
    """A cluster metadata request to a bootstrap broker, on a client closed afterwards."""

    async def fetch_kafka_metadata() -> None:
        client = AIOKafkaClient(bootstrap_servers=bootstrap_servers)
        try:
            await client.bootstrap()
        finally:
            await client.close()

    return fetch_kafka_metadata
