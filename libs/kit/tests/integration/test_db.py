"""DbSession on a real PostgreSQL: a request's writes commit together or not at all, and
a database nobody answers at is a 503 to retry."""

from typing import Any

import asyncpg
import pytest
from fastapi import APIRouter
from opentelemetry import context, trace
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.trace import SpanKind
from sqlalchemy import String, event, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shopflow_kit import (
    PROBLEM_BASE,
    AppDatabase,
    Database,
    DbSession,
    Problem,
    ProblemType,
    ServiceSettings,
    create_app,
    service_metadata,
)
from shopflow_kit.telemetry import _StatementTracer
from shopflow_testing.ports import unused_port
from shopflow_testing.servers import app_client
from shopflow_testing.span_recorder import (
    recorded_spans,
    sampled_context,
    traceparent,
    unsampled_context,
)

pytestmark = pytest.mark.integration


class Base(DeclarativeBase):
    metadata = service_metadata()


class Ticket(Base):
    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)


router = APIRouter()


@router.post("/tickets/{code}")
async def add_ticket(code: str, session: DbSession, fail: bool = False) -> dict[str, str]:
    session.add(Ticket(code=code))
    await session.flush()  # the row is written inside the transaction...
    if fail:
        raise Problem(ProblemType.for_status(409))  # ...and must vanish with it
    return {"code": code}


@router.post("/tickets/{code}/twice")
async def add_ticket_twice(code: str, session: DbSession) -> dict[str, str]:
    session.add_all([Ticket(code=f"{code}-a"), Ticket(code=code), Ticket(code=code)])
    return {"code": code}  # the duplicate only fails at commit, after this returns


@router.get("/tickets/{code}/found")
async def ticket_found(code: str, database: AppDatabase) -> bool:
    return await database.one_or_none(select(Ticket.id).where(Ticket.code == code)) is not None


@pytest.fixture
async def database(fresh_database):
    database = Database(fresh_database("order"))
    async with database.engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    yield database
    await database.dispose()


@pytest.fixture
async def client(database):
    settings = ServiceSettings(service_name="kit-test", port=0, environment="test")
    app = create_app(settings, title="kit", routers=[router], database=database)
    async with app_client(app) as client:
        yield client


async def stored_codes(database: Database) -> list[str]:
    async with database.transaction() as session:
        return list((await session.scalars(select(Ticket.code).order_by(Ticket.code))).all())


async def test_a_successful_request_commits(client, database):
    response = await client.post("/tickets/ok-1")

    assert response.status_code == 200
    assert await stored_codes(database) == ["ok-1"]


async def test_a_request_that_raises_rolls_back_what_it_wrote(client, database):
    response = await client.post("/tickets/nope-1", params={"fail": True})

    assert response.status_code == 409
    assert await stored_codes(database) == []


async def test_a_failed_commit_is_a_500_and_writes_nothing(client, database):
    response = await client.post("/tickets/dup/twice")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert await stored_codes(database) == []


async def test_the_pool_replaces_a_connection_the_server_killed(database):
    async with database.transaction() as session:
        pooled_pid = await session.scalar(select(func.pg_backend_pid()))
    outsider = await asyncpg.connect(
        database.engine.url.render_as_string(False).replace("+asyncpg", "")
    )
    try:
        assert await outsider.fetchval("SELECT pg_terminate_backend($1)", pooled_pid)
    finally:
        await outsider.close()

    # No ping per checkout: the dead connection fails its first statement, as a disconnect...
    with pytest.raises(DBAPIError) as failed:
        async with database.transaction() as session:
            await session.scalar(select(func.pg_backend_pid()))
    assert failed.value.connection_invalidated
    # ...and the pool replaced it: the next transaction runs on a new backend.
    async with database.transaction() as session:
        assert await session.scalar(select(func.pg_backend_pid())) != pooled_pid


async def test_a_database_nobody_answers_at_is_a_503_to_retry(closed_port_url):
    database = Database(closed_port_url)
    settings = ServiceSettings(service_name="kit-test", port=0, environment="test")
    app = create_app(settings, title="kit", routers=[router], database=database)
    async with app_client(app) as client:
        answer = await client.post("/tickets/T-1")
        ready = await client.get("/readyz")

    assert answer.status_code == 503
    assert answer.json()["type"] == PROBLEM_BASE + "dependency-unavailable"
    assert answer.json()["dependency"] == "database"
    assert int(answer.headers["retry-after"]) >= 1
    assert ready.status_code == 503
    assert "database" in ready.json()["checks"]
    assert ready.json()["checks"]["database"] != "ok"


@pytest.fixture
def closed_port_url():
    return f"postgresql+asyncpg://nobody:nobody@127.0.0.1:{unused_port()}/nothing"


async def test_a_one_row_read_sends_no_begin_and_leaves_the_pool_transactional(database):
    sent: list[str] = []

    @event.listens_for(database.engine.sync_engine, "connect")
    def log_queries(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(lambda q: sent.append(q.query))

    await database.engine.dispose()  # from here on, every pooled connection logs its queries
    row = await database.one_or_none(select(func.count()).select_from(Ticket))
    read = list(sent)
    for _ in range(3):  # whichever pooled connection comes back
        async with database.transaction() as session:
            await session.scalar(select(func.count()).select_from(Ticket))

    assert row is not None
    assert row[0] == 0
    assert [q for q in read if q.upper().startswith(("BEGIN", "COMMIT"))] == []
    assert [q for q in sent if q.upper().startswith("BEGIN")] != []  # for everyone else


async def test_a_one_row_read_finds_its_row_or_none_in_a_span_of_a_recorded_trace(client):
    await client.post("/tickets/found-1")
    spans = recorded_spans()
    recorded = {"traceparent": traceparent(sampled_context())}

    found = await client.get("/tickets/found-1/found", headers=recorded)
    missing = await client.get("/tickets/missing-1/found", headers=recorded)

    assert (found.json(), missing.json()) == (True, False)
    requests = [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]
    statements = [s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert [s.attributes.get("db.system") for s in statements] == ["postgresql"] * 2
    assert {s.parent.span_id for s in statements} == {r.context.span_id for r in requests}


async def test_statements_are_spans_of_a_recorded_trace(client):
    spans = recorded_spans()

    await client.post("/tickets/traced-1", headers={"traceparent": traceparent(sampled_context())})

    [request] = [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]
    statements = [s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert any(s.attributes.get("db.system") == "postgresql" for s in statements)
    assert {s.context.trace_id for s in statements} == {request.context.trace_id}


async def test_a_transaction_opened_outside_any_trace_traces_what_runs_in_a_recorded_span(
    client, database
):
    """As a consumer handling messages together does: one transaction, a span per message."""
    spans = recorded_spans()
    recorded = sampled_context()

    async with database.transaction() as session:
        token = context.attach(recorded)
        try:
            await session.scalar(select(func.count()).select_from(Ticket))
        finally:
            context.detach(token)

    [statement] = [s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert statement.attributes.get("db.system") == "postgresql"
    assert (
        statement.context.trace_id == trace.get_current_span(recorded).get_span_context().trace_id
    )


async def test_outside_a_recorded_trace_statements_are_not_looked_at(database, monkeypatch):
    """Nine requests in ten at the default ratio: their statements run where SQLAlchemy
    finds no listener to call. A background query's go past the kit's listener, which
    returns at once: the instrumentation never looks at them."""
    dispatched: list[str] = []  # every statement the kit's listener is called for
    looked_at: list[str] = []  # those it hands to the instrumentation
    kits, instrumentations = _StatementTracer._before_cur_exec, EngineTracer._before_cur_exec

    def kit_spy(self, conn, cursor, statement, *args):
        dispatched.append(statement)
        return kits(self, conn, cursor, statement, *args)

    def instrumentation_spy(self, conn, cursor, statement, *args):
        looked_at.append(statement)
        return instrumentations(self, conn, cursor, statement, *args)

    # Before the app is made: it binds the listener then.
    monkeypatch.setattr(_StatementTracer, "_before_cur_exec", kit_spy)
    monkeypatch.setattr(EngineTracer, "_before_cur_exec", instrumentation_spy)
    settings = ServiceSettings(service_name="kit-test", port=0, environment="test")
    app = create_app(settings, title="kit", routers=[router], database=database)
    parent = unsampled_context()
    unsampled = trace.get_current_span(parent).get_span_context()
    unrecorded = f"00-{unsampled.trace_id:032x}-{unsampled.span_id:016x}-00"

    async with app_client(app) as client:
        await client.post("/tickets/untraced-1", headers={"traceparent": unrecorded})
        unsampled_dispatched = len(dispatched)
        await stored_codes(database)  # outside any trace, as a background loop's query
        background_dispatched, background_looked_at = len(dispatched), len(looked_at)
        sampled = {"traceparent": traceparent(sampled_context())}
        await client.post("/tickets/traced-2", headers=sampled)

    assert unsampled_dispatched == 0
    assert background_dispatched > 0
    assert background_looked_at == 0
    assert looked_at  # the recorded request's statements do reach the instrumentation
    assert not database.engine.sync_engine.dispatch.before_cursor_execute
    assert not database.engine.pool.dispatch.checkout
