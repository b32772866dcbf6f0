"""The test fixtures give each test real, isolated servers."""

import asyncpg
import pytest
import redis.asyncio as redis

pytestmark = pytest.mark.integration


async def test_fresh_database_is_empty_and_writable(fresh_database):
    url = fresh_database("inventory").replace("postgresql+asyncpg", "postgresql")
    connection = await asyncpg.connect(url)
    try:
        tables = await connection.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        await connection.execute("CREATE TABLE probe (id int PRIMARY KEY)")
        await connection.execute("INSERT INTO probe VALUES (1)")
        assert tables == 0
        assert await connection.fetchval("SELECT count(*) FROM probe") == 1
    finally:
        await connection.close()


def test_each_call_gives_a_different_database(fresh_database):
    assert fresh_database("order") != fresh_database("order")


async def test_each_service_has_its_own_server(infra):
    ports = {endpoint.port for endpoint in infra.postgres.values()}
    assert {"order", "inventory", "payment", "notification"} <= set(infra.postgres)
    assert len(ports) == len(infra.postgres)


async def test_redis_database_starts_empty(redis_url):
    client = redis.Redis.from_url(redis_url)
    try:
        assert await client.dbsize() == 0
        await client.set("left-behind", "1")
    finally:
        await client.aclose()
