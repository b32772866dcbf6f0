"""The relay's SQL: claim a batch without breaking any key's order, mark it, clean up.

Locking rows with `FOR UPDATE SKIP LOCKED` alone would let two relays split one key: A
locks its first message, B skips it and publishes the second. So a relay claims *keys*:
it locks the oldest unpublished row of each (the key's head) with SKIP LOCKED, and takes
that key's later rows with it. Another relay skips the locked head, and never sees a
later row as a head while the head stays unpublished; so a key is in one batch at a time.

A row set aside (ADR 0020) is out of the queue: it is no key's head, and the rows after it
go on without it.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NamedTuple

from sqlalchemy import ARRAY, Float, Text, Uuid, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class OutboxMessage:
    """A claimed row, ready to send: the value is the envelope as stored."""

    id: uuid.UUID
    topic: str
    key: str
    type: str
    value: bytes
    headers: list[tuple[str, bytes]]  # the trace context of the transaction that wrote it
    malformed: str | None = None  # why it cannot be sent as it is (headers that are not text)


_CLAIM = text("""
    WITH heads AS (
        -- A head retried while its topic is missing goes last: it cannot fill every batch.
        SELECT candidate.key, candidate.seq, candidate.failing_since IS NOT NULL AS failing
        FROM outbox AS candidate
        WHERE candidate.published_at IS NULL AND candidate.set_aside_at IS NULL
          AND NOT EXISTS (
              SELECT 1 FROM outbox AS earlier
              WHERE earlier.key = candidate.key
                AND earlier.seq < candidate.seq
                AND earlier.published_at IS NULL
                AND earlier.set_aside_at IS NULL)
        ORDER BY failing, candidate.seq
        LIMIT :batch_size
        FOR UPDATE SKIP LOCKED
    )
    SELECT message.id, message.topic, message.key, message.type, message.envelope::text AS value,
           message.trace_context
    FROM heads CROSS JOIN LATERAL (  -- per key, by its index: fast even before ANALYZE
        SELECT * FROM outbox AS message
        WHERE message.key = heads.key
          AND message.published_at IS NULL AND message.set_aside_at IS NULL
        ORDER BY message.seq
        LIMIT :batch_size
    ) AS message
    ORDER BY heads.failing, message.seq
    LIMIT :batch_size
""").columns(value=Text, trace_context=JSONB)


async def claim_batch(session: AsyncSession, batch_size: int) -> list[OutboxMessage]:
    """Lock up to `batch_size` unpublished rows of keys no other transaction holds, in seq order."""
    rows = await session.execute(_CLAIM, {"batch_size": batch_size})
    return [_message(row) for row in rows]


def _message(row: Any) -> OutboxMessage:
    context = row.trace_context
    # Headers are text here: anything else is a hand edit or a bug, never fixed by a retry.
    text_headers = isinstance(context, dict) and all(isinstance(v, str) for v in context.values())
    return OutboxMessage(
        id=row.id,
        topic=row.topic,
        key=row.key,
        type=row.type,
        value=row.value.encode(),
        headers=[(name, value.encode()) for name, value in context.items()] if text_headers else [],
        malformed=None if text_headers else f"trace_context is not text headers: {context!r:.200}",
    )


# One array parameter, not `IN` with one per row: a batch of hundreds stays one cached statement.
_MARK_PUBLISHED = (
    text("""
    UPDATE outbox SET published_at = clock_timestamp()
    WHERE id = ANY(:ids)
    RETURNING topic, extract(epoch FROM published_at - created_at) AS lag_seconds
""")
    .bindparams(bindparam("ids", type_=ARRAY(Uuid)))
    .columns(lag_seconds=Float)
)


async def mark_published(
    session: AsyncSession, messages: Sequence[OutboxMessage]
) -> list[tuple[str, float]]:
    """Mark `messages` published; return each one's topic and seconds from written to acked.

    Both times come from PostgreSQL's clock, so the lag is true even if the relay's drifts.
    """
    rows = await session.execute(_MARK_PUBLISHED, {"ids": [m.id for m in messages]})
    return [(row.topic, row.lag_seconds) for row in rows]


class Failure(NamedTuple):
    """A row Kafka did not take, alone: the rest of its batch went on."""

    message: OutboxMessage
    error: str
    permanent: bool  # never publishable as it is (too large, malformed): set aside at once


_NOTE_FAILURE = text("""
    UPDATE outbox SET
        failing_since = coalesce(outbox.failing_since, clock_timestamp()),
        last_error = :error,
        set_aside_at = CASE
            WHEN :permanent
              OR outbox.failing_since <= clock_timestamp() - make_interval(secs => :patience)
            THEN clock_timestamp() END
    FROM (SELECT id, failing_since FROM outbox WHERE id = :id) AS before
    WHERE outbox.id = before.id
    RETURNING outbox.set_aside_at IS NOT NULL AS set_aside, before.failing_since IS NULL AS first
""")


@dataclass
class NotedFailures:
    set_aside: list[Failure] = field(default_factory=list)
    first_held_back: list[Failure] = field(default_factory=list)  # failing for the first time


async def note_failures(
    session: AsyncSession, failures: Sequence[Failure], *, patience: timedelta
) -> NotedFailures:
    """Record why each row failed; set aside the permanent ones, and the others once they
    have failed for `patience` (by PostgreSQL's clock)."""
    noted = NotedFailures()
    for failure in failures:
        parameters = {
            "id": failure.message.id,
            "error": failure.error,
            "permanent": failure.permanent,
            "patience": patience.total_seconds(),
        }
        row = (await session.execute(_NOTE_FAILURE, parameters)).one()
        if row.set_aside:
            noted.set_aside.append(failure)
        elif row.first:
            noted.first_held_back.append(failure)
    return noted


class Backlog(NamedTuple):
    pending: int  # rows waiting to be published
    oldest_age: float  # seconds the oldest of them has waited (0 if none)
    set_aside: int  # rows set aside, waiting for an operator


_BACKLOG = text("""
    SELECT count(*) FILTER (WHERE set_aside_at IS NULL) AS pending,
           coalesce(extract(epoch FROM clock_timestamp()
               - min(created_at) FILTER (WHERE set_aside_at IS NULL)), 0) AS oldest_age,
           count(*) FILTER (WHERE set_aside_at IS NOT NULL) AS set_aside
    FROM outbox WHERE published_at IS NULL
""").columns(oldest_age=Float)


async def unpublished_backlog(session: AsyncSession) -> Backlog:
    """What waits to be published, and what is set aside."""
    row = (await session.execute(_BACKLOG)).one()
    return Backlog(int(row.pending), float(row.oldest_age), int(row.set_aside))


_DELETE_PUBLISHED = text("""
    DELETE FROM outbox WHERE id IN (
        SELECT id FROM outbox
        WHERE published_at < now() - make_interval(secs => :older_than_seconds)
        LIMIT :limit
        FOR UPDATE SKIP LOCKED)
""")


async def delete_published(session: AsyncSession, *, older_than: timedelta, limit: int) -> int:
    """Delete up to `limit` rows published more than `older_than` ago; return how many."""
    seconds = older_than.total_seconds()
    result: Any = await session.execute(
        _DELETE_PUBLISHED, {"older_than_seconds": seconds, "limit": limit}
    )
    return int(result.rowcount)
