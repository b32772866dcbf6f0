"""The notification service on real Kafka: the order service's events become notifications,
once each, including the events announced while it was down."""

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaProducer

from shopflow_contracts.order import OrderCancelled, OrderConfirmed
from shopflow_kit.messaging import Envelope, Message
from shopflow_notification.app import build
from shopflow_testing.callers import signed_in
from shopflow_testing.servers import app_client
from shopflow_testing.waits import counted

pytestmark = pytest.mark.integration


def event(message: Message, order_id: str) -> Envelope:
    return Envelope.wrap(message, correlation_id=order_id)


@pytest.fixture
async def announce(infra, bus_topics):
    """`await announce(envelope)`: put an order event on the order events topic, as the
    order service's relay does (keyed by the order)."""
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers, acks="all")
    async with producer:

        async def send(envelope):
            key = envelope.correlation_id.encode()
            await producer.send_and_wait(bus_topics.order_events, envelope.to_bytes(), key=key)

        yield send


async def until(condition):
    """Returns what `condition()` returns once it is truthy (30 s at most)."""
    async with asyncio.timeout(30):
        while True:
            if found := await condition():
                return found
            await asyncio.sleep(0.05)


def notifications_of(client, order_id):
    async def read():
        response = await client.get(
            "/notifications",
            params={"order_id": order_id},
            headers=signed_in("notification", "alice"),
        )
        return response.json()

    return read


async def test_a_confirmed_order_is_notified(client, announce):
    order_id = str(uuid.uuid4())
    confirmed = OrderConfirmed(order_id=order_id, customer_id="alice", total=4599, currency="EUR")

    await announce(event(confirmed, order_id))
    [notification] = await until(notifications_of(client, order_id))

    assert (notification["kind"], notification["recipient"]) == ("ORDER_CONFIRMED", "alice")
    assert "45.99 EUR" in notification["body"]


async def test_an_event_delivered_twice_notifies_once(app, client, announce, bus_topics):
    order_id = str(uuid.uuid4())
    confirmed = event(
        OrderConfirmed(order_id=order_id, customer_id="bob", total=500, currency="EUR"), order_id
    )
    skipped = {"topic": bus_topics.order_events, "type": "OrderConfirmed", "outcome": "duplicate"}

    await announce(confirmed)
    await announce(confirmed)  # Kafka's redelivery: the same message id

    await counted(app, "messages_consumed_total", **skipped)
    assert len(await notifications_of(client, order_id)()) == 1


async def test_events_announced_while_it_is_down_are_handled_when_it_is_back(settings, announce):
    before, during = str(uuid.uuid4()), str(uuid.uuid4())
    async with app_client(build(settings)) as client:
        confirmed = OrderConfirmed(order_id=before, customer_id="carol", total=900, currency="EUR")
        await announce(event(confirmed, before))
        await until(notifications_of(client, before))

    # The shop goes on without it: an order is cancelled while nobody listens.
    cancelled = OrderCancelled(order_id=during, customer_id="dave", reason="out_of_stock")
    await announce(event(cancelled, during))

    async with app_client(build(settings)) as client:
        [caught_up] = await until(notifications_of(client, during))
        assert caught_up["kind"] == "ORDER_CANCELLED"
        assert len(await notifications_of(client, before)()) == 1  # not notified again
