"""Queries on the ledger; the only module that writes SQL."""

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import inspect, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_payment_provider.models import Charge, Refund

Entry = TypeVar("Entry", Charge, Refund)


async def add_once(session: AsyncSession, entry: Entry) -> tuple[Entry, bool]:
    """Insert unless its idempotency key is taken; the stored entry, and whether it is new.

    A concurrent insert with the same key waits for the first to commit, then finds it.
    """
    model = type(entry)
    values = {
        attribute.columns[0]: getattr(entry, attribute.key)
        for attribute in inspect(model).column_attrs
        if getattr(entry, attribute.key) is not None
    }
    inserted = await session.scalar(
        insert(model)
        .values(values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(model.id)
    )
    stored = await session.scalar(
        select(model).where(model.idempotency_key == entry.idempotency_key)
    )
    assert stored is not None  # inserted now, or committed by whoever held the key
    return stored, inserted is not None


async def charge(
    session: AsyncSession, charge_id: str, *, for_update: bool = False
) -> Charge | None:
    statement = select(Charge).where(Charge.id == charge_id)
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def refund_by_key(session: AsyncSession, idempotency_key: str) -> Refund | None:
    return await session.scalar(select(Refund).where(Refund.idempotency_key == idempotency_key))


async def charges(
    session: AsyncSession,
    *,
    idempotency_key: str | None,
    order_id: str | None,
    after: Charge | None,
    limit: int,
) -> Sequence[Charge]:
    """The charges matching every filter given, oldest first, from just after `after`."""
    statement = select(Charge).order_by(Charge.created_at, Charge.id).limit(limit)
    if idempotency_key is not None:
        statement = statement.where(Charge.idempotency_key == idempotency_key)
    if order_id is not None:
        statement = statement.where(Charge.charge_metadata.contains({"order_id": order_id}))
    if after is not None:
        statement = statement.where(
            tuple_(Charge.created_at, Charge.id) > tuple_(after.created_at, after.id)
        )
    return (await session.scalars(statement)).all()
