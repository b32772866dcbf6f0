"""The auditor on real, migrated service databases and real Kafka: a consistent shop
passes, and each inconsistency seeded into it is caught, with the ids that find it."""

import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord

from shopflow_contracts.inventory import ReleaseStock
from shopflow_drills.audit import audit
from shopflow_kit.messaging import Envelope
from shopflow_kit.messaging.dead_letters import publish_dead_letter

pytestmark = pytest.mark.integration

QUICK = 1.0  # seconds to wait for quiet where the test means it never to come


async def kinds(deployment, **options) -> dict[str, int]:
    report = await audit(deployment, quiet_timeout=options.pop("quiet_timeout", QUICK), **options)
    return report.counts()


async def test_a_consistent_shop_passes(deployment, shop):
    await shop.confirmed()
    await shop.declined()
    await shop.cancelled_by_customer()
    rejected = await shop.order("CANCELLED", "out_of_stock")
    await shop.reservation(rejected, "REJECTED")
    await shop.notification(rejected, "ORDER_CANCELLED")

    report = await audit(deployment, quiet_timeout=5)

    assert report.consistent, report.text()
    assert report.motion.quiet
    assert report.outcomes == {
        "CONFIRMED": 1,
        "CANCELLED (payment_declined)": 1,
        "CANCELLED (cancelled_by_customer)": 1,
        "CANCELLED (out_of_stock)": 1,
    }
    assert "violations: none" in report.text()


async def test_an_orphan_charge_at_the_provider(deployment, shop):
    await shop.confirmed()
    stranger = str(uuid.uuid4())
    charge_id = await shop.charge(stranger, succeeded=True)

    report = await audit(deployment, quiet_timeout=QUICK)

    assert [(v.kind, v.ids) for v in report.violations] == [
        ("orphan-charge", (stranger, charge_id))
    ]


async def test_a_double_charge(deployment, shop):
    order_id = await shop.confirmed()
    second = await shop.charge(order_id, succeeded=True, key=f"retry-{order_id}")

    counts = await kinds(deployment)

    assert counts["double-charge"] == 1
    assert counts == {"double-charge": 1, "orphan-charge": 1}, second


async def test_a_cancelled_order_whose_charge_was_not_refunded(deployment, shop):
    order_id = await shop.order("CANCELLED", "timed_out")
    await shop.reservation(order_id, "RELEASED")
    charge_id = await shop.charge(order_id, succeeded=True)
    await shop.payment(order_id, "CHARGED", charge_id)
    await shop.notification(order_id, "ORDER_CANCELLED")

    report = await audit(deployment, quiet_timeout=QUICK)

    assert report.counts() == {"cancelled-not-refunded": 1, "cancelled-payment-charged": 1}
    assert report.violations[0].ids == (order_id, charge_id)
    assert report.timed_out == 1


async def test_a_leaked_reservation(deployment, shop):
    await shop.confirmed()
    leaked = str(uuid.uuid4())  # reserved for an order the order service never had
    await shop.reservation(leaked, "RESERVED", quantity=3)

    report = await audit(deployment, quiet_timeout=QUICK)

    assert report.counts() == {"reservation-without-order": 1, "stock-reserved": 1}
    assert leaked in report.violations[0].ids


async def test_a_reservation_of_a_final_order(deployment, shop):
    order_id = await shop.order("CANCELLED", "payment_declined")
    await shop.reservation(order_id, "RESERVED")  # the release never happened
    await shop.payment(order_id, "DECLINED", await shop.charge(order_id, succeeded=False))
    await shop.notification(order_id, "ORDER_CANCELLED")

    report = await audit(deployment, quiet_timeout=QUICK)

    assert report.counts() == {"reservation-of-final-order": 1, "stock-reserved": 1}
    assert report.violations[0].ids == (order_id,)


async def test_a_broken_stock_equation(deployment, shop):
    await shop.confirmed()
    await shop.execute("inventory", "UPDATE stock_levels SET available = available + 1")

    assert await kinds(deployment) == {"stock-equation": 1}


async def test_an_order_stuck_after_the_quiet_timeout(deployment, shop):
    await shop.confirmed()
    stuck = await shop.order("PENDING", saga="RUNNING")

    report = await audit(deployment, quiet_timeout=QUICK)

    assert not report.motion.quiet
    assert report.waited >= QUICK
    assert report.counts() == {"not-quiet": 1, "order-not-final": 1}
    assert report.violations[1].ids == (stuck,)
    assert "1 sagas in flight" in report.text()


async def test_an_unpublished_outbox_row(deployment, shop):
    order_id = await shop.confirmed()
    message_id = uuid.uuid4()
    await shop.execute(
        "order",
        "INSERT INTO outbox (id, topic, key, type, envelope, trace_context)"
        " VALUES ($1, 'shopflow.order.events', $2, 'OrderConfirmed', '{}', '{}')",
        message_id,
        order_id,
    )

    report = await audit(deployment, quiet_timeout=QUICK)

    assert report.counts() == {"not-quiet": 1, "unpublished-message": 1}
    assert report.violations[1].ids == (str(message_id), order_id)
    assert report.violations[1].detail.endswith("never published")


async def test_an_outbox_row_the_relay_set_aside_says_so(deployment, shop):
    order_id = await shop.confirmed()
    await shop.execute(
        "order",
        "INSERT INTO outbox (id, topic, key, type, envelope, trace_context, set_aside_at,"
        " last_error) VALUES ($1, 'shopflow.order.events', $2, 'OrderConfirmed', '{}', '{}',"
        " now(), 'MessageSizeTooLargeError: too large')",
        uuid.uuid4(),
        order_id,
    )

    report = await audit(deployment, quiet_timeout=QUICK)

    [violation] = [v for v in report.violations if v.kind == "unpublished-message"]
    assert "set aside by the relay (MessageSizeTooLargeError: too large" in violation.detail


async def test_a_dead_letter(deployment, shop, infra):
    order_id = await shop.confirmed()
    before = datetime.now(UTC)
    envelope = Envelope.wrap(ReleaseStock(order_id=order_id), correlation_id=order_id)
    topic = deployment.topics.inventory_commands
    record = ConsumerRecord(  # as the inventory consumer would have received it
        topic=topic,
        partition=1,
        offset=7,
        timestamp=0,
        timestamp_type=0,
        key=order_id.encode(),
        value=envelope.to_bytes(),
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=0,
        headers=[],
    )
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers)
    await producer.start()
    try:
        await publish_dead_letter(
            producer, record, ValueError("poison"), attempts=5, consumer_group="inventory"
        )
    finally:
        await producer.stop()

    report = await audit(deployment, quiet_timeout=5)
    assert report.counts() == {"dead-letter": 1}
    letter = report.violations[0]
    assert letter.ids == (str(envelope.message_id), order_id)
    assert "ValueError: poison" in letter.detail

    later = await audit(deployment, quiet_timeout=5, since=datetime.now(UTC))
    assert later.consistent
    assert later.dead_letters_before == 1
    assert (await audit(deployment, quiet_timeout=5, since=before)).counts() == {"dead-letter": 1}


async def test_timed_out_orders_fail_only_when_asked(deployment, shop):
    order_id = await shop.order("CANCELLED", "timed_out")
    await shop.reservation(order_id, "RELEASED")
    await shop.notification(order_id, "ORDER_CANCELLED")

    assert (await audit(deployment, quiet_timeout=QUICK)).consistent
    strict = await audit(deployment, quiet_timeout=QUICK, timed_out_fails=True)
    assert [(v.kind, v.ids) for v in strict.violations] == [("timed-out", (order_id,))]
