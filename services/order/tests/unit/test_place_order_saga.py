"""The place-order saga's definition: its steps, the replies each awaits, how each is undone."""

import uuid
from datetime import timedelta

import pytest

from shopflow_contracts.inventory import (
    CommitStock,
    ReleaseStock,
    ReserveStock,
    StockCommitted,
    StockLine,
    StockRejected,
    StockReleased,
    StockReserved,
)
from shopflow_contracts.payment import (
    ChargePayment,
    PaymentCharged,
    PaymentDeclined,
    PaymentRefunded,
    RefundPayment,
)
from shopflow_contracts.topics import Topics
from shopflow_order.models import Order, OrderLine, OrderStatus
from shopflow_order.saga import PlaceOrderData, place_order_saga

pytestmark = pytest.mark.unit

TOPICS = Topics("t")
ORDER_ID = uuid.UUID("3f2a9c4e-0000-4000-8000-000000000001")


@pytest.fixture
def definition():
    return place_order_saga(TOPICS, step_deadline=timedelta(seconds=7), max_attempts=4)


@pytest.fixture
def data():
    order = Order(
        id=ORDER_ID,
        customer_id="alice",
        status=OrderStatus.PENDING,
        total=4498,
        currency="EUR",
        payment_method="tok_visa",
        lines=[
            OrderLine(sku="MUG-1", name="Mug", quantity=2, unit_price=1999, line_total=3998),
            OrderLine(sku="TEA-7", name="Tea", quantity=1, unit_price=500, line_total=500),
        ],
    )
    return PlaceOrderData.of(order)


def test_the_steps_reserve_then_charge_then_commit(definition):
    assert [step.name for step in definition.steps] == [
        "reserve_stock",
        "charge_payment",
        "commit_stock",
    ]
    assert [(step.succeeded, dict(step.failed)) for step in definition.steps] == [
        (StockReserved, {StockRejected: "out_of_stock"}),
        (PaymentCharged, {PaymentDeclined: "payment_declined"}),
        (StockCommitted, {}),
    ]


def test_each_command_says_what_its_service_needs(definition, data):
    sent = [(step.to, step.send(data)) for step in definition.steps]

    assert sent == [
        (
            TOPICS.inventory_commands,
            ReserveStock(
                order_id=ORDER_ID,
                lines=(StockLine(sku="MUG-1", quantity=2), StockLine(sku="TEA-7", quantity=1)),
            ),
        ),
        (
            TOPICS.payment_commands,
            ChargePayment(
                order_id=ORDER_ID, amount=4498, currency="EUR", payment_method="tok_visa"
            ),
        ),
        (TOPICS.inventory_commands, CommitStock(order_id=ORDER_ID)),
    ]


def test_reserving_and_charging_are_undone_by_releasing_and_refunding(definition, data):
    reserve, charge, _ = definition.steps

    assert (reserve.compensation.to, reserve.compensation.send(data)) == (
        TOPICS.inventory_commands,
        ReleaseStock(order_id=ORDER_ID),
    )
    assert reserve.compensation.done_when is StockReleased
    assert (charge.compensation.to, charge.compensation.send(data)) == (
        TOPICS.payment_commands,
        RefundPayment(order_id=ORDER_ID),
    )
    assert charge.compensation.done_when is PaymentRefunded


def test_committing_the_stock_is_the_point_of_no_return(definition):
    assert definition.steps[definition.commit_step].name == "commit_stock"
    assert definition.steps[definition.commit_step].compensation is None


def test_timeouts_and_cancellations_carry_the_orders_reasons(definition):
    assert (definition.timeout_reason, definition.cancel_reason) == (
        "timed_out",
        "cancelled_by_customer",
    )
    assert (definition.step_deadline, definition.max_attempts) == (timedelta(seconds=7), 4)


def test_the_consumer_takes_every_reply_of_inventory_and_payment(definition):
    assert definition.expected_replies() == {
        StockReserved,
        StockRejected,
        StockReleased,
        StockCommitted,
        PaymentCharged,
        PaymentDeclined,
        PaymentRefunded,
    }


def test_the_saga_data_survives_its_json_column(definition, data):
    stored = data.model_dump(mode="json")

    assert definition.data.model_validate(stored) == data
    assert stored["order_id"] == str(ORDER_ID)
    assert stored["lines"] == [{"sku": "MUG-1", "quantity": 2}, {"sku": "TEA-7", "quantity": 1}]
