import uuid

import pytest
from pydantic import ValidationError

from shopflow_contracts import inventory, order, payment
from shopflow_kit.messaging import Envelope, MessageTypes

pytestmark = pytest.mark.unit

ALL = [*inventory.COMMANDS, *inventory.EVENTS, *payment.COMMANDS, *payment.EVENTS, *order.EVENTS]


def test_every_message_has_a_unique_name_and_a_version():
    assert len({(m.TYPE, m.VERSION) for m in ALL}) == len(ALL) == 14


def test_commands_are_imperative_and_events_past_tense():
    for command in [*inventory.COMMANDS, *payment.COMMANDS]:
        assert not command.TYPE.endswith("ed"), command.TYPE
    for event in [*inventory.EVENTS, *payment.EVENTS, *order.EVENTS]:
        assert event.TYPE.endswith("ed"), event.TYPE


def test_a_command_survives_the_trip_through_an_envelope():
    order_id = uuid.uuid4()
    command = inventory.ReserveStock(
        order_id=order_id, lines=(inventory.StockLine(sku="MUG-1", quantity=2),)
    )

    envelope = Envelope.from_bytes(Envelope.wrap(command, correlation_id=str(order_id)).to_bytes())

    assert MessageTypes(ALL).parse(envelope) == command


@pytest.mark.parametrize(
    "fields",
    [
        {"amount": 0, "currency": "EUR", "payment_method": "tok_visa"},
        {"amount": 100, "currency": "eur", "payment_method": "tok_visa"},
        {"amount": 100, "currency": "EUR", "payment_method": ""},
    ],
)
def test_a_charge_that_makes_no_sense_is_refused(fields):
    with pytest.raises(ValidationError):
        payment.ChargePayment(order_id=uuid.uuid4(), **fields)
