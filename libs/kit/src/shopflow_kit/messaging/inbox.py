"""The inbox: the messages a service has already handled, so a redelivery has no second effect.

Kafka delivers at least once: a crash or a rebalance between a handler's commit and the
offset commit hands the same message over again. So the consumer records each message
id in `processed_messages`, in the same transaction as the handler's effects: both
commit or neither does, and an id already there means "done before": skip the handler.

A service adds the table to its own metadata, so its migrations create it:

    processed_messages_table(Base.metadata)
"""

from aiokafka import ConsumerRecord
from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, Table, Text, Uuid, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_kit.messaging.envelope import Envelope


def processed_messages_table(metadata: MetaData) -> Table:
    """Declare the `processed_messages` table in a service's `metadata` (again: the same table)."""
    if "processed_messages" in metadata.tables:
        return metadata.tables["processed_messages"]
    return Table(
        "processed_messages",
        metadata,
        Column("message_id", Uuid, primary_key=True),
        Column("message_type", Text, nullable=False),
        Column("consumer_group", Text, nullable=False),
        # Where it was consumed from: enough to find the record in Kafka again.
        Column("kafka_topic", Text, nullable=False),
        Column("kafka_partition", Integer, nullable=False),
        Column("kafka_offset", BigInteger, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


_PROCESSED_MESSAGES = processed_messages_table(MetaData())  # for statements: no service metadata


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
