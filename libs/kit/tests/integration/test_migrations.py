"""Migrations on a real PostgreSQL: processes migrating one database at once take turns."""

import asyncio
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

pytestmark = pytest.mark.integration

ENV_PY = """
from alembic import context
from sqlalchemy import MetaData

from shopflow_kit.migrations import run_migrations

run_migrations(context, MetaData())
"""

# Slow on purpose: the second migrator arrives while the first is still creating.
REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.execute("SELECT pg_sleep(0.5)")
    op.create_table("parcels", sa.Column("id", sa.Integer, primary_key=True))
"""


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    (tmp_path / "versions").mkdir()
    (tmp_path / "env.py").write_text(ENV_PY)
    (tmp_path / "versions" / "0001_parcels.py").write_text(REVISION)
    return tmp_path


async def migrate(migrations: Path, url: str) -> int:
    """One migrating process, as each pod's init container is (alembic's state is per process)."""
    code = "import sys; from shopflow_kit.migrations import upgrade; upgrade(*sys.argv[1:])"
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", code, str(migrations), url)
    return await process.wait()


async def test_replicas_migrating_at_once_take_turns_and_all_succeed(fresh_database, migrations):
    url = fresh_database("order")

    exit_codes = await asyncio.gather(*(migrate(migrations, url) for _ in range(3)))

    assert exit_codes == [0, 0, 0]

    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
            parcels = await connection.scalar(text("SELECT count(*) FROM parcels"))
    finally:
        await engine.dispose()
    assert (version, parcels) == ("0001", 0)
