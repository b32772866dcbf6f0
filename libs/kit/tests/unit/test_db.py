"""Constraint naming, and DbSession: committed before the answer, rolled back on error."""

from contextlib import asynccontextmanager

import pytest
from fastapi import APIRouter
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.schema import CreateIndex, CreateTable

from shopflow_kit import (
    PROBLEM_BASE,
    Database,
    DbSession,
    Problem,
    ProblemType,
    create_app,
    service_metadata,
)

pytestmark = pytest.mark.unit


class Base(DeclarativeBase):
    metadata = service_metadata()


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (CheckConstraint("total >= 0", name="total_not_negative"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    total: Mapped[int]


def test_constraint_names_are_deterministic():
    dialect = postgresql.dialect()
    ddl = str(CreateTable(Invoice.__table__).compile(dialect=dialect))
    ddl += str(CreateTable(Customer.__table__).compile(dialect=dialect))
    [index] = Invoice.__table__.indexes
    ddl += str(CreateIndex(index).compile(dialect=dialect))

    for name in (
        "pk_invoices",
        "fk_invoices_customer_id_customers",
        "ck_invoices_total_not_negative",
        "uq_customers_email",
        "ix_invoices_customer_id",
    ):
        assert f"CONSTRAINT {name} " in ddl or f"INDEX {name} " in ddl


class FakeDatabase(Database):
    """Mimics Database.transaction: commit after the block, rollback if it raises."""

    def __init__(self, *, commit_fails: bool = False) -> None:
        self.commit_fails = commit_fails
        self.events: list[str] = []

    @asynccontextmanager
    async def transaction(self):
        session = object()
        try:
            yield session
        except BaseException:
            self.events.append("rollback")
            raise
        if self.commit_fails:
            raise ConnectionResetError("connection lost during COMMIT")
        self.events.append("commit")


router = APIRouter()


@router.post("/orders", status_code=201)
async def place_order(session: DbSession) -> dict[str, str]:
    return {"status": "placed"}


@router.post("/orders/paid")
async def pay_order(session: DbSession) -> None:
    raise Problem(ProblemType(409, "order-already-paid", "Order already paid"))


def app_with(database, settings):
    app = create_app(settings, title="db", routers=[router])
    app.state.database = database
    return app


async def test_route_transaction_commits_on_success(settings, client_for):
    database = FakeDatabase()
    async with client_for(app_with(database, settings)) as client:
        response = await client.post("/orders")

    assert response.status_code == 201
    assert database.events == ["commit"]


async def test_failed_commit_is_a_500_not_a_lost_write(settings, client_for):
    database = FakeDatabase(commit_fails=True)
    async with client_for(app_with(database, settings)) as client:
        response = await client.post("/orders")

    assert response.status_code == 500
    assert response.json()["type"] == PROBLEM_BASE + "internal-error"


async def test_route_error_rolls_back_and_keeps_its_answer(settings, client_for):
    database = FakeDatabase()
    async with client_for(app_with(database, settings)) as client:
        response = await client.post("/orders/paid")

    assert response.status_code == 409
    assert database.events == ["rollback"]
