"""The tables a saga lives in, in the owning service's database: kit tables in versions
(see `shopflow_kit.schema`), declared in its models and created by its migrations.

    SAGAS.declare(Base.metadata)            # models.py, with SAGA_HISTORY likewise
    SAGAS.migrate(0, 1)                     # the migration's upgrade(); migrate(1, 0) undoes it
"""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Uuid,
    func,
    text,
)
from sqlalchemy.schema import SchemaItem

from shopflow_kit.schema import VersionedTable


def _sagas_version_1() -> list[SchemaItem]:
    return [
        Column("id", Uuid, primary_key=True),  # the correlation id: the order id
        Column("definition", String(50), nullable=False),
        Column("status", String(20), nullable=False),
        Column("step", Integer, nullable=False),
        Column("awaiting", JSON, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("deadline_at", DateTime(timezone=True), index=True),
        Column("cancel_requested", Boolean, nullable=False),
        Column("reason", String(50)),
        Column("data", JSON, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


def _sagas_version_2() -> list[SchemaItem]:
    return [
        # W3C headers of the transaction that started it: the deadline sweeper resumes the
        # saga's trace, so a command sent again stays in its order's trace.
        Column("trace_context", JSON, nullable=False, server_default="{}"),
        # When it started: how long the customer waited for the outcome (saga metrics).
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


def _sagas_version_3() -> list[SchemaItem]:
    return [
        # The outbox ids of the commands the saga last sent, and how long their participant
        # has to answer once they are published: a deadline runs from publication, not
        # from the write (ADR 0018).
        Column("commands", JSON, nullable=False, server_default="[]"),
        Column("patience_seconds", Float),
        # Why the saga waits for an operator (`make sagas`): its data no longer reads, or
        # nobody confirmed an undo it resent so many times. The sweeper passes it by.
        Column("attention", String(300)),
    ]


def _sagas_version_4() -> list[SchemaItem]:
    return [
        # The few sagas waiting for an operator, counted on every deadline sweep (the
        # saga_waiting_for_operator gauge) without reading the others.
        Index("ix_sagas_attention", "attention", postgresql_where=text("attention IS NOT NULL")),
    ]


def _history_version_1() -> list[SchemaItem]:
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("saga_id", Uuid, nullable=False, index=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("step", String(50), nullable=False),
        Column("event", String(200), nullable=False),
    ]


SAGAS = VersionedTable(
    "sagas", _sagas_version_1, _sagas_version_2, _sagas_version_3, _sagas_version_4
)
"""One row per saga: its step, what it awaits, its deadline and its data."""

SAGA_HISTORY = VersionedTable("saga_history", _history_version_1)
"""What happened to each saga, a row per event."""
