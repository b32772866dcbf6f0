"""The database's readiness check answers for a real server, and fails for an absent one."""

import pytest

from shopflow_kit import Database, database_check
from shopflow_testing.ports import unused_port

pytestmark = pytest.mark.integration


async def test_the_check_passes_against_a_real_server(infra):
    database = Database(infra.postgres["order"].url())
    try:
        await database_check(database)()
    finally:
        await database.dispose()


async def test_the_check_fails_when_nothing_listens():
    port = unused_port()
    database = Database(f"postgresql+asyncpg://x:x@127.0.0.1:{port}/x")
    try:
        with pytest.raises(OSError, match="onnect"):
            await database_check(database)()
    finally:
        await database.dispose()
