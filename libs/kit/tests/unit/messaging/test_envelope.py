import uuid

import pytest

from shopflow_kit.messaging import (
    Envelope,
    MalformedMessageError,
    Message,
    MessageTypes,
    UnknownMessageTypeError,
)

pytestmark = pytest.mark.unit


class ReserveStock(Message):
    order_id: uuid.UUID
    skus: list[str]


class StockReserved(Message):
    VERSION = 2
    order_id: uuid.UUID


ORDER = uuid.uuid4()


def test_a_message_names_itself_and_round_trips_through_bytes():
    envelope = Envelope.wrap(ReserveStock(order_id=ORDER, skus=["A"]), correlation_id=str(ORDER))

    again = Envelope.from_bytes(envelope.to_bytes())

    assert again == envelope
    assert (again.type, again.schema_version) == ("ReserveStock", 1)
    assert MessageTypes([ReserveStock]).parse(again) == ReserveStock(order_id=ORDER, skus=["A"])


def test_a_reply_records_what_caused_it():
    command = Envelope.wrap(ReserveStock(order_id=ORDER, skus=[]), correlation_id=str(ORDER))

    reply = Envelope.wrap(StockReserved(order_id=ORDER), correlation_id=str(ORDER), cause=command)

    assert reply.causation_id == command.message_id
    assert reply.message_id != command.message_id


def test_bytes_that_are_not_an_envelope_are_malformed():
    with pytest.raises(MalformedMessageError):
        Envelope.from_bytes(b'{"type": "ReserveStock"}')


def test_an_unknown_type_or_version_is_refused_by_name():
    envelope = Envelope.wrap(StockReserved(order_id=ORDER), correlation_id=str(ORDER))

    with pytest.raises(UnknownMessageTypeError, match="StockReserved v2"):
        MessageTypes([ReserveStock]).parse(envelope)


def test_a_payload_that_does_not_fit_its_type_is_malformed():
    envelope = Envelope(
        type="ReserveStock", schema_version=1, correlation_id="x", payload={"order_id": "nope"}
    )

    with pytest.raises(MalformedMessageError, match="bad ReserveStock payload"):
        MessageTypes([ReserveStock]).parse(envelope)
