"""Readiness checks answer for real servers, and fail for absent ones."""

import socket

import pytest

from shopflow_kit import Database, database_check, kafka_check, redis_check

pytestmark = pytest.mark.integration


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_each_check_passes_against_its_real_server(infra, redis_url):
    database = Database(infra.postgres["order"].url())
    try:
        await database_check(database)()
        await redis_check(redis_url)()
        await kafka_check(infra.kafka_bootstrap_servers)()
    finally:
        await database.dispose()


async def test_each_check_fails_when_nothing_listens():
    port = closed_port()
    database = Database(f"postgresql+asyncpg://x:x@127.0.0.1:{port}/x")
    try:
        with pytest.raises(OSError, match="onnect"):
            await database_check(database)()
    finally:
        await database.dispose()
    with pytest.raises(Exception, match="onnect"):
        await redis_check(f"redis://127.0.0.1:{port}/0")()
    with pytest.raises(Exception, match="onnect"):
        await kafka_check(f"127.0.0.1:{port}")()
