"""PostgreSQL access: each service's metadata, the `Database` handle and the `DbSession` dependency.

A route that declares `session: DbSession` runs inside one transaction, committed before
the response is sent and rolled back if anything raises. A read that is one statement
needs none: `Database.one_or_none()`.
"""

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, Executable, MetaData, Row, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import greenlet_spawn

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata() -> MetaData:
    """A service's own MetaData, with constraint names deterministic so migrations can drop them.

    Each service declares `class Base(DeclarativeBase): metadata = service_metadata()`:
    one shared Base would put every service's tables in one MetaData whenever a process
    (the test run) imports several services.
    """
    return MetaData(naming_convention=NAMING_CONVENTION)


@dataclass(frozen=True)
class _Access:
    """Transactions and single statements through one engine."""

    sessions: async_sessionmaker[AsyncSession]
    statements: AsyncEngine

    @classmethod
    def through(cls, engine: AsyncEngine) -> "_Access":
        # The same pool; a connection drawn from it this way sends no BEGIN, COMMIT or
        # ROLLBACK (the driver's autocommit), and goes back to the pool as it came.
        autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        return cls(async_sessionmaker(engine, expire_on_commit=False), autocommit)


class Database:
    """A service's connection pool and the sessions drawn from it."""

    def __init__(self, url: str, *, pool_size: int = 20, echo: bool = False) -> None:
        # `pool_size` connections stay open. A busy service (requests, consumer, relay and
        # sweeper at once) used to go past 5 and open and close a connection per transaction
        # beyond them: a backend fork and a SCRAM handshake each (docs/benchmarks.md).
        # No ping per checkout (a round trip on every transaction): a connection PostgreSQL
        # dropped (restart, failover) fails its first statement, SQLAlchemy then replaces
        # every connection of the pool, and that one failure is a 503 with Retry-After
        # (`dependencies`) or a consumer's retry, as any outage of the database is.
        self.engine = create_async_engine(url, pool_size=pool_size, max_overflow=10, echo=echo)
        self._plain = _Access.through(self.engine)
        self._diverted: tuple[Callable[[], bool], _Access] | None = None

    def divert(self, engine: AsyncEngine, when: Callable[[], bool]) -> None:
        """Draw transactions and statements through `engine` whenever `when()` is true as
        they open.

        For `engine` a view of this one (`self.engine.execution_options()`: the same pool)
        with event listeners of its own, the tracing's, which a trace nobody records does
        not need: an engine with no listener at all lets SQLAlchemy skip its event
        dispatch on every connection, cursor and transaction."""
        self._diverted = (when, _Access.through(engine))

    def _access(self) -> _Access:
        if self._diverted is not None and self._diverted[0]():
            return self._diverted[1]
        return self._plain

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on any exception."""
        async with self._access().sessions.begin() as session:
            yield session

    async def one_or_none(
        self, statement: Executable, parameters: Mapping[str, object] | None = None
    ) -> Row[Any] | None:
        """The row a read that is a single statement finds, if any, outside any transaction.

        PostgreSQL runs one statement on one snapshot, subqueries included, so such a read
        is as consistent as in a transaction of its own, without the two round trips that
        open and close it. Never for several statements that must agree, nor for writes.
        Connect, execute and close run in one greenlet, where an `AsyncConnection` makes
        and switches into one for each: about a seventh of what SQLAlchemy and the driver
        cost such a read (docs/benchmarks.md)."""
        engine = self._access().statements.sync_engine
        return await greenlet_spawn(_one_or_none, engine, statement, parameters)

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _one_or_none(
    engine: Engine, statement: Executable, parameters: Mapping[str, object] | None
) -> Row[Any] | None:
    with engine.connect() as connection:
        return connection.execute(statement, parameters).one_or_none()


def _app_database(request: Request) -> Database:
    database: Database | None = request.app.state.database
    if database is None:
        raise RuntimeError("this app was created without a database")
    return database


async def app_database(request: Request) -> Database:
    """The `Database` that `create_app` put on `app.state`."""
    # async, as every dependency here: a plain def would cost a threadpool hop per request.
    return _app_database(request)


AppDatabase = Annotated[Database, Depends(app_database)]
"""For a route that runs transactions of its own, e.g. around a call it must not hold one
open across."""


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's transaction, from the `Database` that `create_app` put on `app.state`."""
    async with _app_database(request).transaction() as session:
        yield session


# scope="function": the commit runs before the response is sent, so a failed commit is a 500.
DbSession = Annotated[AsyncSession, Depends(request_session, scope="function")]
"""A request-scoped session; a dependency with `yield` using it needs `scope="function"` too."""
