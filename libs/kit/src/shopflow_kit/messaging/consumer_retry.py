"""When a consumer tries a message again, and when it gives up and dead-letters it.

Only failures that may pass are retried: a handler's `TransientError`, a database
connection that dropped, a deadlock or serialization failure. Anything else (a bug, a
message the handler rejects) fails the same way every time, so it is dead-lettered at
once. A dependency being away is not the message's fault: the service's own database,
or a third party a handler raises `DependencyOutageError` for (the payment provider), is
waited for as long as the outage lasts (the partition waits: every message in it needs
that dependency too), never dead-lettered, so an outage in a chaos drill loses nothing
and leaves no dead letter for an operator to sort out. Retries wait a random time below
a capped exponential ceiling ("full jitter"), so consumers that failed together do not
retry together.
"""

import random

from pydantic import BaseModel, NonNegativeFloat, PositiveInt
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from shopflow_kit.backoff import Draw, backoff
from shopflow_kit.dependencies import DATABASE, unavailable_dependency


class TransientError(Exception):
    """Raised by a handler when trying again shortly may succeed; tried a bounded number of
    times, then dead-lettered."""


class DependencyOutageError(TransientError):
    """Raised by a handler when something it cannot work without is away (a third party's
    breaker is open): waited out like the service's own database, never dead-lettered."""


# SQLSTATEs that a retry can clear: serialization failure, deadlock, too many connections,
# the server shutting down or starting up. Class 08 (connection exceptions) is checked apart.
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "53300", "57P01", "57P02", "57P03"})


def is_outage(error: BaseException) -> bool:
    """Whether `error` says a dependency cannot be reached right now: a handler's
    `DependencyOutageError`, or the service's database (in a handler any OSError is taken for
    that: handlers reach nothing else over a socket but through an `Upstream`)."""
    return (
        isinstance(error, DependencyOutageError | OSError)
        or unavailable_dependency(error) == DATABASE
    )


def is_transient(error: BaseException) -> bool:
    """Whether `error` may not happen again on the next attempt."""
    if isinstance(error, TransientError | OSError | TimeoutError | PoolTimeoutError):
        return True
    if isinstance(error, DBAPIError):
        sqlstate = getattr(error.orig, "sqlstate", None) or ""
        return (
            error.connection_invalidated
            or sqlstate in _TRANSIENT_SQLSTATES
            or sqlstate.startswith("08")
        )
    return False


class ConsumerRetryPolicy(BaseModel, frozen=True):
    """How often, and how patiently, a consumer tries one message before dead-lettering it.

    The defaults give up after at most 7.5 s of waiting: short enough that a poison
    message holds its partition back only briefly, and far below Kafka's poll interval.
    """

    attempts: PositiveInt = 5  # the first one included
    backoff_seconds: NonNegativeFloat = 0.5  # retry n waits at random up to backoff × 2^(n-1)
    max_backoff_seconds: NonNegativeFloat = 5.0

    def backoff(self, failed_attempts: int, draw: Draw = random.uniform) -> float:
        """Seconds to wait after the `failed_attempts`-th failure: `draw(0, capped ceiling)`."""
        return backoff(
            failed_attempts, first=self.backoff_seconds, cap=self.max_backoff_seconds, draw=draw
        )

    def retry_delay(
        self,
        error: BaseException,
        failed_attempts: int,
        draw: Draw = random.uniform,
    ) -> float | None:
        """Seconds to wait before trying again, or None: dead-letter the message now."""
        if is_outage(error):
            return self.backoff(failed_attempts, draw)
        if not is_transient(error) or failed_attempts >= self.attempts:
            return None
        return self.backoff(failed_attempts, draw)
