"""The tables a saga lives in, added to the owning service's own metadata (and migrations)."""

from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, MetaData, String, Table, Uuid, func


def saga_tables(metadata: MetaData) -> tuple[Table, Table]:
    """The `sagas` and `saga_history` tables, added to a service's own metadata."""
    sagas = Table(
        "sagas",
        metadata,
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
        # W3C headers of the transaction that started it: the deadline sweeper resumes the
        # saga's trace, so a command sent again stays in its order's trace.
        Column("trace_context", JSON, nullable=False, server_default="{}"),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    history = Table(
        "saga_history",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("saga_id", Uuid, nullable=False, index=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("step", String(50), nullable=False),
        Column("event", String(200), nullable=False),
    )
    return sagas, history
