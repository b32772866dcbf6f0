"""A dependency the service cannot reach right now: a 503 with `Retry-After`, never a 500.

`unavailable_dependency(error)` tells whether an error a request met means that the
service's PostgreSQL is unreachable or refusing work: connection refused, reset or cut,
the server shutting down or starting up, too many connections, the pool exhausted. The
kit's problem handlers then answer 503 `dependency-unavailable` naming it, so that a
client tries again later (with its Idempotency-Key) rather than give up on a 500.
`require_publishing` refuses work that needs the bus while the outbox relay cannot
publish to Kafka: what cannot be finished in time is refused at the door.
"""

import traceback
from collections.abc import Iterator
from typing import Protocol

from fastapi import Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from shopflow_kit.problems import DEPENDENCY_UNAVAILABLE, RetryLater

DATABASE = "database"
KAFKA = "kafka"
RETRY_AFTER_SECONDS = 1

# SQLSTATE classes of a server that cannot take the work now: 08 connection exception,
# 53 insufficient resources (too many connections), 57P0x shutting down or starting up.
_UNAVAILABLE_SQLSTATES = ("08", "53", "57P")
_DATABASE_MODULES = ("asyncpg", "sqlalchemy")


class DependencyUnavailable(RetryLater):
    """503 `dependency-unavailable`: `dependency` (database, kafka) cannot be reached now."""

    def __init__(self, dependency: str, detail: str | None = None) -> None:
        detail = detail or f"The service cannot reach its {dependency} right now; try again."
        super().__init__(
            DEPENDENCY_UNAVAILABLE,
            detail,
            retry_after_seconds=RETRY_AFTER_SECONDS,
            dependency=dependency,
        )
        self.dependency = dependency


def unavailable_dependency(error: BaseException) -> str | None:
    """`database` if `error`, or an error it was raised from, says PostgreSQL is away."""
    for cause in causes(error):
        if isinstance(cause, PoolTimeoutError):  # every connection busy past pool_timeout
            return DATABASE
        if isinstance(cause, DBAPIError) and cause.connection_invalidated:
            return DATABASE
        if str(getattr(cause, "sqlstate", "") or "").startswith(_UNAVAILABLE_SQLSTATES):
            return DATABASE
        if type(cause).__name__ == "ConnectionDoesNotExistError":  # asyncpg: cut mid-query
            return DATABASE
        if isinstance(cause, OSError) and _raised_in_the_driver(cause):
            return DATABASE  # refused, reset, unresolvable, or a connect timeout
    return None


def causes(error: BaseException) -> Iterator[BaseException]:
    """`error`, what it was raised from, and a DBAPI error's driver error, once each."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        pending += [current.__cause__, current.__context__]
        if isinstance(orig, BaseException):
            pending.append(orig)


def _raised_in_the_driver(error: BaseException) -> bool:
    for frame, _ in traceback.walk_tb(error.__traceback__):
        if str(frame.f_globals.get("__name__", "")).startswith(_DATABASE_MODULES):
            return True
    return False


class PublishingState(Protocol):
    def unavailable_dependency(self) -> str | None: ...


async def require_publishing(request: Request) -> None:
    """A route dependency: 503 `dependency-unavailable` (kafka) while the app's outbox
    relay (`app.state.outbox_relay`) cannot publish, for work that needs the bus."""
    relay: PublishingState | None = getattr(request.app.state, "outbox_relay", None)
    if relay is not None and relay.unavailable_dependency() == KAFKA:
        detail = "Kafka cannot be reached, so this cannot be carried out now; try again."
        raise DependencyUnavailable(KAFKA, detail)
