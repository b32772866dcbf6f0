"""Kit tables in versions, on a real PostgreSQL: each version migrates up and back down, and
the latest one is what the models declare."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Column, DateTime, Index, Integer, Text, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from shopflow_kit.db import service_metadata
from shopflow_kit.schema import VersionedTable

pytestmark = pytest.mark.integration

# A table as the outbox will grow: created by version 1, a column and an index in version 2.
NOTES = VersionedTable(
    "notes",
    lambda: [
        Column("id", Integer, primary_key=True),
        Column("body", Text, nullable=False),
        Index("ix_notes_body", "body"),
    ],
    lambda: [
        Column("set_aside_at", DateTime(timezone=True)),
        Index("ix_notes_set_aside", "id", postgresql_where=text("set_aside_at IS NOT NULL")),
    ],
)


@pytest.fixture
async def engine(fresh_database):
    engine = create_async_engine(fresh_database("order"))
    yield engine
    await engine.dispose()


async def migrate(engine, from_version, to_version):
    """Run the version steps as a migration would, with the models' naming convention."""
    metadata = service_metadata()

    def steps(connection):
        context = MigrationContext.configure(connection, opts={"target_metadata": metadata})
        with Operations.context(context):
            NOTES.migrate(from_version, to_version)

    async with engine.begin() as connection:
        await connection.run_sync(steps)


async def shape(engine):
    """The table's columns, its indexes and constraint names, and what differs from the models."""

    def read(connection):
        if not inspect(connection).has_table("notes"):
            return None
        tables = inspect(connection)
        models = service_metadata()
        NOTES.declare(models)
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return {
            "columns": [column["name"] for column in tables.get_columns("notes")],
            "indexes": sorted(index["name"] for index in tables.get_indexes("notes")),
            "primary key": tables.get_pk_constraint("notes")["name"],
            "unlike the models": compare_metadata(context, models),
        }

    async with engine.connect() as connection:
        return await connection.run_sync(read)


async def test_the_latest_version_is_what_the_models_declare(engine):
    await migrate(engine, 0, NOTES.latest)

    assert await shape(engine) == {
        "columns": ["id", "body", "set_aside_at"],
        "indexes": ["ix_notes_body", "ix_notes_set_aside"],
        "primary key": "pk_notes",
        "unlike the models": [],
    }


async def test_each_version_goes_back_down_to_the_one_before(engine):
    await migrate(engine, 0, 2)
    await migrate(engine, 2, 1)

    one = await shape(engine)
    assert (one["columns"], one["indexes"]) == (["id", "body"], ["ix_notes_body"])

    await migrate(engine, 1, 0)
    assert await shape(engine) is None


async def test_a_version_it_does_not_have_is_refused(engine):
    with pytest.raises(ValueError, match="versions 1 to 2"):
        await migrate(engine, 2, 3)
