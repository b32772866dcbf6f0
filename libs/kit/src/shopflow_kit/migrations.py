"""Alembic, the same way for every service: one migrations folder per service package.

A service's `migrations/env.py` is two lines, `run_migrations(context, metadata)`, and
its revisions are dated (`2026-11-22-1200_create_products.py`). `upgrade()` is what
`python -m shopflow_<service> migrate`, `make up` and the test fixtures call; several
processes may call it at once on one database (each pod of a Deployment does).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

# The key of the transaction-scoped advisory lock a migration holds ("shop" in ASCII).
MIGRATION_LOCK_KEY = 0x73686F70
FILE_TEMPLATE = "%%(year)d-%%(month).2d-%%(day).2d-%%(hour).2d%%(minute).2d_%%(slug)s"


def alembic_config(script_location: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("file_template", FILE_TEMPLATE)
    # ConfigParser interpolates %, which URL-encoded passwords contain.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(script_location: Path, database_url: str, revision: str = "head") -> None:
    """Bring the database to `revision`. Blocking; call it outside a running event loop."""
    command.upgrade(alembic_config(script_location, database_url), revision)


def new_revision(script_location: Path, database_url: str, message: str) -> None:
    """Autogenerate a dated revision from the difference between the models and the database."""
    command.revision(
        alembic_config(script_location, database_url), message=message, autogenerate=True
    )


def run_migrations(context: Any, metadata: MetaData) -> None:
    """The body of every service's `env.py` (`context` is `alembic.context`)."""
    url = context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata, compare_type=True)
        with context.begin_transaction():
            # Replicas migrating at once (Kubernetes init containers) take turns; the later
            # ones then find the database at head and have nothing to do.
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(migrate)
        finally:
            await engine.dispose()

    asyncio.run(run())
