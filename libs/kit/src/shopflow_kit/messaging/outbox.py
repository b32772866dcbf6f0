"""The transactional outbox: messages committed in the same transaction as the change they announce.

A service declares the `outbox` table in its own metadata and creates it in a migration
(a kit table in versions, see `shopflow_kit.schema`):

    OUTBOX.declare(Base.metadata)       # models.py
    OUTBOX.migrate(0, 2)                # the migration's upgrade(); migrate(2, 0) undoes it

and calls `add_to_outbox` inside the transaction that changes its state. Nothing is sent
then: `OutboxRelay` publishes the row once the transaction has committed, and a rollback
takes the message away with the change. Column names map one to one onto Debezium's
outbox event router (ADR 0004), so change data capture could replace the relay.
"""

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    MetaData,
    Text,
    Uuid,
    func,
    insert,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.schema import SchemaItem

from shopflow_kit.messaging.envelope import Envelope
from shopflow_kit.schema import VersionedTable

OUTBOX_CHANNEL = "shopflow_outbox"
"""The channel `add_to_outbox` notifies: PostgreSQL delivers it on commit, waking the relays."""

MAX_ENVELOPE_BYTES = 900_000
"""Below Kafka's default 1 MiB message limit, with room for the key and headers. Measured
on what the relay sends: the envelope's JSONB text (`relayed_size`)."""


class EnvelopeTooLargeError(ValueError):
    """An envelope Kafka would refuse: it is refused here, before it can block its key."""


def _version_1() -> list[SchemaItem]:
    return [
        Column("id", Uuid, primary_key=True),  # the message id: consumers deduplicate on it
        # Commit order of causally ordered writes; the relay publishes each key in this order.
        Column("seq", BigInteger, Identity(always=True), nullable=False),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),  # the aggregate id (the order id): the Kafka key
        Column("type", Text, nullable=False),
        Column("envelope", JSONB, nullable=False),  # the Kafka value, readable in psql
        Column("trace_context", JSONB, nullable=False),  # W3C headers: traceparent, tracestate
        # clock_timestamp, not now(): when the row was written, not when its transaction began.
        Column(
            "created_at",
            DateTime(timezone=True),
            nullable=False,
            server_default=func.clock_timestamp(),
        ),
        Column("published_at", DateTime(timezone=True)),  # null until Kafka acknowledged it
        # What is left to publish, by key and in order: the relay's claim reads only these.
        Index(
            "ix_outbox_unpublished_key", "key", "seq", postgresql_where=text("published_at IS NULL")
        ),
        Index("ix_outbox_unpublished_seq", "seq", postgresql_where=text("published_at IS NULL")),
        # The retention clean-up finds old published rows without reading the whole table.
        Index(
            "ix_outbox_published_at",
            "published_at",
            postgresql_where=text("published_at IS NOT NULL"),
        ),
    ]


def _version_2() -> list[SchemaItem]:
    """What the relay learnt of a row it could not publish (ADR 0020)."""
    return [
        # When a row first failed alone (its topic missing): its retries are bounded from here.
        Column("failing_since", DateTime(timezone=True)),
        Column("last_error", Text),  # why it failed last; kept once it is set aside
        # Set aside: never to be published as it is; the relay passes it by (make outbox).
        Column("set_aside_at", DateTime(timezone=True)),
    ]


OUTBOX = VersionedTable("outbox", _version_1, _version_2)
"""The outbox of a service, in versions: its models declare it, its migrations create it."""

_OUTBOX = OUTBOX.declare(MetaData())  # the same table, for statements that need no service metadata


def relayed_size(envelope: Envelope) -> int:
    """The bytes of the Kafka value the relay will send for `envelope`: its JSONB text
    (`envelope::text`), with JSONB's spacing and numbers, not the compact JSON."""
    return len(_jsonb_text(envelope.model_dump(mode="json")).encode())


_FLOAT_TEXT_BYTES = 330  # the longest float JSONB writes out in full (5e-324)


def _may_exceed(envelope: Envelope, limit: int) -> bool:
    """Whether `relayed_size` could exceed `limit`, from the compact JSON alone (a fraction of
    its cost): JSONB text adds one space per ", " and ": ", fewer than the compact JSON's
    bytes, and writes out a float with an exponent, every one of which has an "e" or "E"."""
    compact = envelope.model_dump_json().encode()
    exponents = compact.count(b"e") + compact.count(b"E")
    return 2 * len(compact) + _FLOAT_TEXT_BYTES * exponents > limit


def _jsonb_text(value: Any) -> str:
    """`value` as PostgreSQL writes a JSONB value out: ", " and ": " between items, numbers
    in full (`1e+20` reads back as 100000000000000000000). Key order aside: sizes match."""
    if isinstance(value, dict):
        items = (f"{json.dumps(k, ensure_ascii=False)}: {_jsonb_text(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_jsonb_text(item) for item in value) + "]"
    if isinstance(value, float):  # + 0.0: PostgreSQL's numeric has no negative zero
        return format(Decimal(repr(value + 0.0)), "f")
    return json.dumps(value, ensure_ascii=False)


def outbox_row(*, topic: str, key: str, envelope: Envelope) -> dict[str, Any]:
    """The outbox row that carries `envelope` to `topic` under Kafka key `key`."""
    if _may_exceed(envelope, MAX_ENVELOPE_BYTES):
        size = relayed_size(envelope)
        if size > MAX_ENVELOPE_BYTES:
            raise EnvelopeTooLargeError(
                f"{envelope.type} {envelope.message_id} is {size} bytes, over {MAX_ENVELOPE_BYTES}"
            )
    return {
        "id": envelope.message_id,
        "topic": topic,
        "key": key,
        "type": envelope.type,
        "envelope": envelope.model_dump(mode="json"),
        "trace_context": envelope.trace_context,
    }


# The NOTIFY rides in the INSERT (one round trip, not two); PostgreSQL sends one per channel
# and transaction however many rows notify.
_NOTIFY = func.pg_notify(OUTBOX_CHANNEL, "")


async def add_to_outbox(session: AsyncSession, *, topic: str, key: str, envelope: Envelope) -> None:
    """Write `envelope` for `topic` in `session`'s transaction; it is published after the commit.

    The NOTIFY is transactional too: the relays hear it only if, and once, this commits.
    """
    row = outbox_row(topic=topic, key=key, envelope=envelope)
    await session.execute(insert(_OUTBOX).values(row).returning(_NOTIFY))
