"""The dead-letter command's choices (what `replay` sends) and its table, without a broker."""

from datetime import UTC, datetime

import pytest

from shopflow_kit.messaging.dead_letters import DeadLetter
from shopflow_kit.messaging.dlq_command import NoSuchDeadLetterError, choose, format_dead_letters
from shopflow_kit.messaging.envelope import Envelope, Message

pytestmark = pytest.mark.unit


class ChargePayment(Message):
    amount: int


def envelope(order: str) -> Envelope:
    return Envelope.wrap(ChargePayment(amount=42), correlation_id=order)


def dead_letter(
    offset: int, value: Envelope | bytes, error: str = "card service away"
) -> DeadLetter:
    is_envelope = isinstance(value, Envelope)
    return DeadLetter(
        dlq_offset=offset,
        key=b"order-1",
        value=value.to_bytes() if is_envelope else value,
        headers=(),
        envelope=value if is_envelope else None,
        error_class="TransientError",
        error_message=error,
        attempts=5,
        failed_at=datetime(2026, 11, 22, 9, 30, tzinfo=UTC),
        original_topic="shopflow.payment.commands",
        original_partition=1,
        original_offset=10 + offset,
        consumer_group="shopflow.payment",
    )


def test_a_message_id_names_its_latest_dead_letter():
    first, other = envelope("order-1"), envelope("order-2")
    letters = [dead_letter(0, first), dead_letter(1, other), dead_letter(2, first)]

    chosen = choose(letters, message_ids=[first.message_id])

    assert [letter.dlq_offset for letter in chosen] == [2]


def test_offsets_name_exactly_those_dead_letters_in_the_order_given():
    letters = [dead_letter(0, envelope("order-1")), dead_letter(1, b"garbage")]

    chosen = choose(letters, offsets=[1, 0])

    assert [letter.dlq_offset for letter in chosen] == [1, 0]


def test_all_is_the_latest_dead_letter_of_each_message_in_dlq_order():
    first, other = envelope("order-1"), envelope("order-2")
    letters = [
        dead_letter(0, first),
        dead_letter(1, b"not an envelope: it could only fail again"),
        dead_letter(2, other),
        dead_letter(3, first),
    ]

    assert [letter.dlq_offset for letter in choose(letters)] == [2, 3]


@pytest.mark.parametrize(
    "selection", [{"offsets": [7]}, {"message_ids": [envelope("order-9").message_id]}]
)
def test_asking_for_a_dead_letter_that_is_not_there_is_an_error(selection):
    with pytest.raises(NoSuchDeadLetterError):
        choose([dead_letter(0, envelope("order-1"))], **selection)


def test_the_table_shows_one_aligned_line_per_dead_letter():
    sent = envelope("order-1")
    letters = [dead_letter(0, sent), dead_letter(12, b"garbage", "not JSON\nat line 1")]

    lines = format_dead_letters(letters).splitlines()

    assert lines[0].split() == [
        "OFFSET", "MESSAGE", "ID", "TYPE", "CORRELATION", "ID", "ATTEMPTS", "FAILED", "AT", "ERROR"
    ]  # fmt: skip
    assert lines[1].split()[:6] == [
        "0", str(sent.message_id), "ChargePayment", "order-1", "5", "2026-11-22T09:30:00+00:00"
    ]  # fmt: skip
    assert lines[2].split()[:4] == ["12", "-", "-", "-"]
    assert lines[2].endswith("TransientError: not JSON")  # the first line of the error only
    attempts_column = lines[0].index("ATTEMPTS")
    assert lines[1][attempts_column] == lines[2][attempts_column] == "5"  # aligned


def test_a_long_error_is_cut_in_the_table():
    letter = dead_letter(0, envelope("order-1"), "y" * 500)

    error = format_dead_letters([letter]).splitlines()[1].split("  ")[-1]

    assert error.startswith("TransientError: yyy")
    assert len(error) == 80
    assert error.endswith("…")
