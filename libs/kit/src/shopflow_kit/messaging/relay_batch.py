"""The relay's SQL: claim a batch without breaking any key's order, mark it, clean up.

Locking rows with `FOR UPDATE SKIP LOCKED` alone would let two relays split one key: A
locks its first message, B skips it and publishes the second. So a relay claims *keys*:
it locks the oldest unpublished row of each (the key's head) with SKIP LOCKED, and takes
that key's later rows with it. Another relay skips the locked head, and never sees a
later row as a head while the head stays unpublished; so a key is in one batch at a time.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Float, Text, bindparam, text
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


_CLAIM = text("""
    WITH heads AS (
        SELECT candidate.key, candidate.seq
        FROM outbox AS candidate
        WHERE candidate.published_at IS NULL
          AND NOT EXISTS (
              SELECT 1 FROM outbox AS earlier
              WHERE earlier.key = candidate.key
                AND earlier.seq < candidate.seq
                AND earlier.published_at IS NULL)
        ORDER BY candidate.seq
        LIMIT :batch_size
        FOR UPDATE SKIP LOCKED
    )
    SELECT message.id, message.topic, message.key, message.type, message.envelope::text AS value,
           message.trace_context
    FROM heads CROSS JOIN LATERAL (  -- per key, by its index: fast even before ANALYZE
        SELECT * FROM outbox AS message
        WHERE message.key = heads.key AND message.published_at IS NULL
        ORDER BY message.seq
        LIMIT :batch_size
    ) AS message
    ORDER BY message.seq
    LIMIT :batch_size
""").columns(value=Text, trace_context=JSONB)


async def claim_batch(session: AsyncSession, batch_size: int) -> list[OutboxMessage]:
    """Lock up to `batch_size` unpublished rows of keys no other transaction holds, in seq order."""
    rows = await session.execute(_CLAIM, {"batch_size": batch_size})
    return [
        OutboxMessage(
            id=row.id,
            topic=row.topic,
            key=row.key,
            type=row.type,
            value=row.value.encode(),
            headers=[(name, value.encode()) for name, value in row.trace_context.items()],
        )
        for row in rows
    ]


_MARK_PUBLISHED = (
    text("""
    UPDATE outbox SET published_at = clock_timestamp()
    WHERE id IN :ids
    RETURNING topic, extract(epoch FROM published_at - created_at) AS lag_seconds
""")
    .bindparams(bindparam("ids", expanding=True))
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


_BACKLOG = text("""
    SELECT count(*) AS pending,
           coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0) AS oldest_age
    FROM outbox WHERE published_at IS NULL
""").columns(oldest_age=Float)


async def unpublished_backlog(session: AsyncSession) -> tuple[int, float]:
    """How many rows wait to be published, and the age in seconds of the oldest (0 if none)."""
    row = (await session.execute(_BACKLOG)).one()
    return int(row.pending), float(row.oldest_age)


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
