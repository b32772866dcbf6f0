"""Dead letters: messages a consumer gave up on, kept in `<topic>.dlq` to be listed and replayed.

A dead letter is the original record (same key, same value with its envelope and message
id, same headers) plus `dlq.*` headers saying why and where it failed. Every dead letter
of a topic goes to partition 0 of its dead-letter topic, so one sequence of offsets names
them all, in the order they failed. Replaying publishes key, value and original headers
back onto the topic: the message id is unchanged, so the inbox keeps it single even if
it had partly succeeded before.

Reading joins no consumer group and commits nothing: it reads the dead-letter topic from
its beginning up to the end offset it found when it started.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from shopflow_kit.messaging.envelope import Envelope, MalformedMessageError

_DEAD_LETTER_PARTITION = 0
_HEADER_PREFIX = "dlq."
_MAX_ERROR_CHARS = 2000  # a validation error can be long; headers are for reading, not archiving

Headers = Sequence[tuple[str, bytes]]


def dead_letter_topic(topic: str) -> str:
    """Where messages of `topic` that could not be handled are kept, with their error."""
    return f"{topic}.dlq"


class MissingTopicError(LookupError):
    """A topic the code relies on does not exist (topics are created on purpose, never by use)."""


async def publish_dead_letter(
    producer: AIOKafkaProducer,
    record: ConsumerRecord,
    error: BaseException,
    *,
    attempts: int,
    consumer_group: str,
) -> None:
    """Put `record` on its topic's dead-letter topic with why, when and where it failed."""
    why = {
        "error.class": type(error).__name__,
        "error.message": str(error)[:_MAX_ERROR_CHARS],
        "attempts": str(attempts),
        "original.topic": record.topic,
        "original.partition": str(record.partition),
        "original.offset": str(record.offset),
        "consumer.group": consumer_group,
        "failed.at": datetime.now(UTC).isoformat(),
    }
    headers = [
        *_original_headers(record.headers),
        *((_HEADER_PREFIX + name, value.encode()) for name, value in why.items()),
    ]
    await producer.send_and_wait(
        dead_letter_topic(record.topic),
        record.value,
        key=record.key,
        partition=_DEAD_LETTER_PARTITION,
        headers=headers,
    )


@dataclass(frozen=True)
class DeadLetter:
    """One record of a dead-letter topic, read back."""

    dlq_offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers  # the original record's, replayed with it
    envelope: Envelope | None  # None when the value was never an envelope
    error_class: str
    error_message: str
    attempts: int
    failed_at: datetime
    original_topic: str
    original_partition: int
    original_offset: int
    consumer_group: str

    @property
    def message_id(self) -> uuid.UUID | None:
        return self.envelope.message_id if self.envelope else None

    @classmethod
    def from_record(cls, record: ConsumerRecord) -> DeadLetter:
        why = {
            name.removeprefix(_HEADER_PREFIX): value.decode()
            for name, value in record.headers
            if name.startswith(_HEADER_PREFIX)
        }
        return cls(
            dlq_offset=record.offset,
            key=record.key,
            value=record.value,
            headers=_original_headers(record.headers),
            envelope=_envelope_or_none(record.value),
            error_class=why["error.class"],
            error_message=why["error.message"],
            attempts=int(why["attempts"]),
            failed_at=datetime.fromisoformat(why["failed.at"]),
            original_topic=why["original.topic"],
            original_partition=int(why["original.partition"]),
            original_offset=int(why["original.offset"]),
            consumer_group=why["consumer.group"],
        )


async def read_dead_letters(bootstrap_servers: str, topic: str) -> list[DeadLetter]:
    """The dead letters of `topic`, oldest first, as of the moment of the call."""
    partition = TopicPartition(dead_letter_topic(topic), _DEAD_LETTER_PARTITION)
    # No group: a throwaway reader that commits nothing and disturbs no consumer.
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, group_id=None, auto_offset_reset="earliest"
    )
    try:
        await reader.start()
        if partition.topic not in await reader.topics():
            raise MissingTopicError(f"no dead-letter topic {partition.topic!r}")
        reader.assign([partition])  # with no committed offset, it starts at the earliest
        end = (await reader.end_offsets([partition]))[partition]
        letters: list[DeadLetter] = []
        while await reader.position(partition) < end:
            batch = await reader.getmany(partition, timeout_ms=1000)
            records = batch.get(partition, [])
            letters += [DeadLetter.from_record(r) for r in records if r.offset < end]
        return letters
    finally:
        await reader.stop()  # after a failed start too: it closes what the start opened


async def replay_dead_letters(
    bootstrap_servers: str, topic: str, letters: Iterable[DeadLetter]
) -> None:
    """Publish `letters`, in order, back onto `topic` with their key, value and headers."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, acks="all", enable_idempotence=True
    )
    try:
        await producer.start()
        for letter in letters:
            await producer.send_and_wait(
                topic, letter.value, key=letter.key, headers=list(letter.headers)
            )
    finally:
        await producer.stop()


def _original_headers(headers: Headers) -> tuple[tuple[str, bytes], ...]:
    return tuple((name, value) for name, value in headers if not name.startswith(_HEADER_PREFIX))


def _envelope_or_none(value: bytes | None) -> Envelope | None:
    if value is None:
        return None
    try:
        return Envelope.from_bytes(value)
    except MalformedMessageError:
        return None
