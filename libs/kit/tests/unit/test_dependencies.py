"""What counts as a dependency being away, and the 503 a client is told to retry."""

import logging

import asyncpg
import pytest
from fastapi import APIRouter, Depends
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from shopflow_kit import PROBLEM_BASE, create_app
from shopflow_kit.dependencies import require_publishing, unavailable_dependency

pytestmark = pytest.mark.unit


def driver_error(error: Exception) -> DBAPIError:
    """As SQLAlchemy's asyncpg dialect wraps what asyncpg raised."""
    wrapped = OperationalError("SELECT 1", None, RuntimeError("adapted"))
    wrapped.orig.__cause__ = error
    return wrapped


@pytest.mark.parametrize(
    "error",
    [
        driver_error(asyncpg.CannotConnectNowError("the database system is starting up")),
        driver_error(asyncpg.AdminShutdownError("terminating connection")),
        driver_error(asyncpg.TooManyConnectionsError("sorry, too many clients")),
        driver_error(asyncpg.ConnectionDoesNotExistError("closed mid-operation")),
        PoolTimeoutError("QueuePool limit of size 5 overflow 10 reached"),
        DBAPIError("SELECT 1", None, RuntimeError("lost"), connection_invalidated=True),
    ],
    ids=["starting-up", "shut-down", "too-many", "cut", "pool-exhausted", "invalidated"],
)
def test_a_database_that_cannot_take_the_work_is_away(error):
    assert unavailable_dependency(error) == "database"


@pytest.mark.parametrize(
    "error",
    [
        driver_error(asyncpg.UniqueViolationError("duplicate key")),
        driver_error(asyncpg.CharacterNotInRepertoireError("invalid byte sequence")),
        ConnectionRefusedError("an upstream of ours, not the database"),
        ValueError("a bug"),
    ],
    ids=["conflict", "bad-text", "not-the-driver", "bug"],
)
def test_anything_else_is_not_a_dependency_away(error):
    assert unavailable_dependency(error) is None


class Relay:
    def __init__(self, away: str | None) -> None:
        self.away = away

    def unavailable_dependency(self) -> str | None:
        return self.away


@pytest.mark.parametrize(("away", "status"), [(None, 200), ("database", 200), ("kafka", 503)])
async def test_work_that_needs_the_bus_is_refused_while_kafka_is_away(
    settings, client_for, away, status
):
    router = APIRouter()

    @router.post("/orders", dependencies=[Depends(require_publishing)])
    async def place() -> dict[str, str]:
        return {"status": "PENDING"}

    app = create_app(settings, title="order", routers=[router])
    app.state.outbox_relay = Relay(away)
    async with client_for(app) as client:
        answer = await client.post("/orders")

    assert answer.status_code == status
    if status == 503:
        assert answer.json()["type"] == PROBLEM_BASE + "dependency-unavailable"
        assert answer.json()["dependency"] == "kafka"
        assert answer.headers["retry-after"] == "1"


async def test_a_route_meeting_its_database_away_answers_503_and_logs_one_line(
    settings, client_for, caplog
):
    router = APIRouter()

    @router.get("/orders")
    async def orders() -> None:
        raise driver_error(asyncpg.CannotConnectNowError("the database system is shutting down"))

    app = create_app(settings, title="order", routers=[router])
    async with client_for(app) as client:
        answer = await client.get("/orders")

    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "1"
    assert answer.json()["dependency"] == "database"
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.levelno == logging.WARNING
    assert record.exc_info is None  # an outage is not a bug: no traceback per request


async def test_text_a_schema_let_through_and_the_database_refused_is_a_422(settings, client_for):
    router = APIRouter()

    @router.post("/products")
    async def create() -> None:
        raise driver_error(asyncpg.CharacterNotInRepertoireError("invalid byte sequence 0x00"))

    async with client_for(create_app(settings, title="inventory", routers=[router])) as client:
        answer = await client.post("/products")

    assert answer.status_code == 422
    assert answer.json()["type"] == PROBLEM_BASE + "validation-error"
