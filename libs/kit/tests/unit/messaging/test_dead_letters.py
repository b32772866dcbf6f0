"""A dead letter carries the original record unchanged, plus why, when and where it failed."""

from datetime import UTC, datetime

import pytest
from aiokafka import ConsumerRecord

from shopflow_kit.messaging.consumer_retry import TransientError
from shopflow_kit.messaging.dead_letters import DeadLetter, publish_dead_letter
from shopflow_kit.messaging.envelope import Envelope, Message

pytestmark = pytest.mark.unit

TRACE_HEADERS = [("traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]


class ReserveStock(Message):
    sku: str
    quantity: int


class RecordingProducer:
    """Stands in for AIOKafkaProducer: each send becomes the record a reader would get back."""

    def __init__(self) -> None:
        self.sent: list[ConsumerRecord[bytes, bytes]] = []

    async def send_and_wait(self, topic, value, *, key, partition, headers):
        self.sent.append(consumer_record(topic, partition, len(self.sent), key, value, headers))


def consumer_record(topic, partition, offset, key, value, headers):
    return ConsumerRecord(
        topic,
        partition,
        offset,
        0,
        0,
        key,
        value,
        None,
        len(key or b""),
        len(value or b""),
        headers,
    )


def command_record(value: bytes) -> ConsumerRecord[bytes, bytes]:
    return consumer_record("shopflow.inventory.commands", 2, 41, b"order-7", value, TRACE_HEADERS)


async def dead_letter_of(record, error, attempts=1) -> ConsumerRecord[bytes, bytes]:
    producer = RecordingProducer()
    await publish_dead_letter(
        producer, record, error, attempts=attempts, consumer_group="shopflow.inventory"
    )
    [dead_letter] = producer.sent
    return dead_letter


async def test_a_dead_letter_is_the_original_record_on_partition_0_of_the_dlq():
    envelope = Envelope.wrap(ReserveStock(sku="MUG", quantity=1), correlation_id="order-7")
    record = command_record(envelope.to_bytes())

    dead_letter = await dead_letter_of(record, TransientError("database away"), attempts=5)

    assert dead_letter.topic == "shopflow.inventory.commands.dlq"
    assert dead_letter.partition == 0
    assert (dead_letter.key, dead_letter.value) == (record.key, record.value)
    assert dead_letter.headers[: len(TRACE_HEADERS)] == TRACE_HEADERS


async def test_a_dead_letter_reads_back_with_why_when_and_where_it_failed():
    envelope = Envelope.wrap(ReserveStock(sku="MUG", quantity=1), correlation_id="order-7")
    before = datetime.now(UTC)

    letter = DeadLetter.from_record(
        await dead_letter_of(
            command_record(envelope.to_bytes()), TransientError("database away"), 5
        )
    )

    assert letter.envelope == envelope
    assert letter.message_id == envelope.message_id
    assert (letter.error_class, letter.error_message) == ("TransientError", "database away")
    assert letter.attempts == 5
    assert (letter.original_topic, letter.original_partition, letter.original_offset) == (
        "shopflow.inventory.commands",
        2,
        41,
    )
    assert letter.consumer_group == "shopflow.inventory"
    assert before <= letter.failed_at <= datetime.now(UTC)
    assert letter.headers == tuple(TRACE_HEADERS)  # what a replay sends: the failure left out


async def test_bytes_that_are_not_an_envelope_are_kept_as_they_came():
    letter = DeadLetter.from_record(
        await dead_letter_of(command_record(b"\x00garbage"), ValueError("not JSON"))
    )

    assert letter.value == b"\x00garbage"
    assert letter.envelope is None
    assert letter.message_id is None


async def test_a_long_error_message_is_cut_to_keep_headers_small():
    letter = DeadLetter.from_record(
        await dead_letter_of(command_record(b"{}"), ValueError("x" * 10_000))
    )

    assert len(letter.error_message) == 2000
