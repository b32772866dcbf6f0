"""Kafka unreachable: new orders are refused at the door (503 with Retry-After), since their
saga could not start in time, while orders can still be read; `/readyz` names Kafka
without taking the instance out of rotation."""

import asyncio

import pytest

from shopflow_kit import PROBLEM_BASE
from shopflow_order.app import build
from shopflow_testing.callers import signed_in
from shopflow_testing.ports import unused_port
from shopflow_testing.servers import app_client

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(settings):
    nowhere = f"127.0.0.1:{unused_port()}"
    away = settings.model_copy(update={"kafka_bootstrap_servers": nowhere})
    async with app_client(build(away)) as client:
        yield client


async def kafka_reported_away(client) -> dict:
    """`/readyz` once the outbox relay has found Kafka unreachable (its first attempt)."""
    async with asyncio.timeout(30):
        while True:
            ready: dict = (await client.get("/readyz")).json()
            if ready["checks"]["kafka"] != "ok":
                return ready
            await asyncio.sleep(0.05)  # the relay reports nothing to wait on but its state


async def test_new_orders_are_refused_at_the_door_and_reads_go_on(client, inventory, customer):
    inventory.stock("MUG-1", 1999)
    ready = await kafka_reported_away(client)

    placed = await client.post(
        "/orders",
        json={"items": [{"sku": "MUG-1", "quantity": 1}], "payment_method": "tok_visa"},
        headers=signed_in("order", customer) | {"Idempotency-Key": "while-kafka-is-away"},
    )
    listed = await client.get("/orders", headers=signed_in("order", customer))

    assert ready["status"] == "ready"
    assert placed.status_code == 503
    assert placed.json()["type"] == PROBLEM_BASE + "dependency-unavailable"
    assert placed.json()["dependency"] == "kafka"
    assert int(placed.headers["retry-after"]) >= 1
    assert inventory.lookups == []  # refused before any work
    assert listed.status_code == 200
    assert listed.json()["orders"] == []


async def test_a_replay_of_an_order_placed_before_is_answered(
    settings, client, inventory, customer, place_on
):
    """Placed while Kafka was there (by another instance, same database); its client's
    answer lost, it retries with the key while Kafka is away: a replay writes nothing to
    the bus, so it finds its order instead of a 503 it could never get past."""
    inventory.stock("MUG-1", 1999)
    async with app_client(build(settings)) as before:
        placed = await place_on(before, {"MUG-1": 1}, key="placed-before-kafka-left")
    await kafka_reported_away(client)

    replayed = await place_on(client, {"MUG-1": 1}, key="placed-before-kafka-left")

    assert placed.status_code == 202
    assert replayed.status_code == 202
    assert replayed.json()["id"] == placed.json()["id"]
