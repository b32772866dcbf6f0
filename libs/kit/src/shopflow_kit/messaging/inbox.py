"""The inbox: the messages a service has already handled, so a redelivery has no second effect.

Kafka delivers at least once: a crash or a rebalance between a handler's commit and the
offset commit hands the same message over again. So the consumer records each message
id in `processed_messages`, in the same transaction as the handler's effects: both
commit or neither does, and an id already there means "done before": skip the handler.

A service declares the table in its own metadata and creates it in a migration (a kit
table in versions, see `shopflow_kit.schema`):

    INBOX.declare(Base.metadata)        # models.py
    INBOX.migrate(0, 1)                 # the migration's upgrade(); migrate(1, 0) undoes it
"""

from aiokafka import ConsumerRecord
from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, Text, Uuid, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.schema import SchemaItem

from shopflow_kit.messaging.envelope import Envelope
from shopflow_kit.schema import VersionedTable


def _version_1() -> list[SchemaItem]:
    return [
        Column("message_id", Uuid, primary_key=True),
        Column("message_type", Text, nullable=False),
        Column("consumer_group", Text, nullable=False),
        # Where it was consumed from: enough to find the record in Kafka again.
        Column("kafka_topic", Text, nullable=False),
        Column("kafka_partition", Integer, nullable=False),
        Column("kafka_offset", BigInteger, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


INBOX = VersionedTable("processed_messages", _version_1)
"""The inbox of a service, in versions: its models declare it, its migrations create it."""

_PROCESSED_MESSAGES = INBOX.declare(MetaData())  # for statements: no service metadata


async def record_processed(
    session: AsyncSession, envelope: Envelope, record: ConsumerRecord, *, consumer_group: str
) -> bool:
    """Record the message as handled in `session`'s transaction; False if it already was.

    Recording an id that a concurrent transaction is recording waits for that one's
    outcome, so two consumers handed the same message never both handle it.
    """
    statement = (
        insert(_PROCESSED_MESSAGES)
        .values(
            message_id=envelope.message_id,
            message_type=envelope.type,
            consumer_group=consumer_group,
            kafka_topic=record.topic,
            kafka_partition=record.partition,
            kafka_offset=record.offset,
        )
        .on_conflict_do_nothing(index_elements=["message_id"])
        .returning(_PROCESSED_MESSAGES.c.message_id)
    )
    return (await session.execute(statement)).first() is not None
