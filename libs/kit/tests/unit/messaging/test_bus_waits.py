"""How long the bus's clients wait, from the settings to the relay and the consumer (no broker)."""

import asyncio

import pytest
from aiokafka.errors import KafkaConnectionError
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from shopflow_kit import Database
from shopflow_kit.messaging.consumer import REBALANCE_TIMEOUT_MS, MessageConsumer
from shopflow_kit.messaging.handlers import MessageHandlers
from shopflow_kit.messaging.relay import OutboxRelay
from shopflow_kit.messaging.relay_outage import Outage
from shopflow_kit.messaging.wiring import messaging_jobs
from shopflow_kit.settings import MessagingSettings

pytestmark = pytest.mark.unit

NEVER_CONNECTED = "postgresql+asyncpg://shop:shop@127.0.0.1/never-connected"
BUS_VARIABLES = (
    "SHOPFLOW_KAFKA_SESSION_TIMEOUT_SECONDS",
    "SHOPFLOW_KAFKA_HEARTBEAT_INTERVAL_SECONDS",
    "SHOPFLOW_OUTBOX_RELAY_MAX_BACKOFF_SECONDS",
)


@pytest.fixture(autouse=True)
def unconfigured(monkeypatch):
    """As on a machine nobody configured: a shell of the local stack has these set."""
    for name in BUS_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def settings(**overrides: object) -> MessagingSettings:
    return MessagingSettings(
        service_name="order",
        port=8001,
        kafka_bootstrap_servers="127.0.0.1:9092",
        environment="development",
        **overrides,
    )


def test_the_production_defaults_are_aiokafkas_session_and_a_30_s_relay_cap():
    defaults = settings()

    assert defaults.kafka_session_timeout_seconds == 10
    assert defaults.kafka_heartbeat_interval_seconds == 3
    assert defaults.outbox_relay_max_backoff_seconds == 30


async def test_the_jobs_wait_as_the_unprefixed_variables_say(monkeypatch):
    monkeypatch.setenv("SHOPFLOW_KAFKA_SESSION_TIMEOUT_SECONDS", "6")
    monkeypatch.setenv("SHOPFLOW_KAFKA_HEARTBEAT_INTERVAL_SECONDS", "2")
    monkeypatch.setenv("SHOPFLOW_OUTBOX_RELAY_MAX_BACKOFF_SECONDS", "2.5")

    jobs = messaging_jobs(
        Database(NEVER_CONNECTED),
        settings(),
        group_id="shopflow.order",
        registry=CollectorRegistry(),
        handlers=MessageHandlers().add(object, lambda *_: None),  # type: ignore[arg-type]
        consumes=["shopflow.order.events"],
    )
    consumer = jobs["consumer"].__self__  # type: ignore[attr-defined]
    client = consumer._consumer()
    try:
        assert (client._session_timeout_ms, client._heartbeat_interval_ms) == (6_000, 2_000)
        # Not shortened with the session: a live member finishing its batch stays in.
        assert client._rebalance_timeout_ms == REBALANCE_TIMEOUT_MS
    finally:
        await client.stop()
    assert jobs.relay is not None
    assert jobs.relay._outage.max_backoff == 2.5


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SHOPFLOW_KAFKA_HEARTBEAT_INTERVAL_SECONDS", "4"),  # over a third of the 10 s session
        ("SHOPFLOW_KAFKA_SESSION_TIMEOUT_SECONDS", "6"),  # under three 3 s heartbeats
        ("SHOPFLOW_OUTBOX_RELAY_MAX_BACKOFF_SECONDS", "0"),  # a relay hammering a dead broker
    ],
)
def test_a_wait_kafka_or_the_relay_cannot_keep_stops_the_service(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)

    with pytest.raises(ValidationError, match=variable):
        settings()


def test_a_consumer_built_by_hand_refuses_a_heartbeat_over_a_third_of_its_session():
    with pytest.raises(ValueError, match="more than a third"):
        MessageConsumer(
            Database(NEVER_CONNECTED),
            "127.0.0.1:9092",
            group_id="g",
            topics=["t"],
            handlers=MessageHandlers(),
            session_timeout=6,
            heartbeat_interval=2.5,
        )


def test_an_outage_refuses_a_cap_below_its_first_wait():
    with pytest.raises(ValueError, match="no backoff"):
        Outage("relay", first_backoff=0.1, max_backoff=0.05)


async def test_the_relays_waits_in_an_outage_are_jittered_and_never_exceed_its_cap(monkeypatch):
    relay = OutboxRelay(Database(NEVER_CONNECTED), "127.0.0.1:9092", max_backoff=0.5)
    waits: list[float] = []

    async def kafka_away() -> int:
        raise KafkaConnectionError("broker away")

    async def nothing() -> None:
        return None

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 200:  # far past the doubling: the cap alone bounds the rest
            raise asyncio.CancelledError

    monkeypatch.setattr(relay, "publish_batch", kafka_away)
    monkeypatch.setattr(relay, "_count_and_clean", nothing)
    monkeypatch.setattr("shopflow_kit.messaging.relay.asyncio.sleep", sleep)
    with pytest.raises(asyncio.CancelledError):
        await relay.run()

    assert all(0 <= wait <= 0.5 for wait in waits)
    capped = waits[10:]  # ceilings 0.1, 0.2, 0.4, then the cap
    assert max(capped) > 0.4, "the cap is reached, not stopped short of"
    assert len(set(capped)) == len(capped), "drawn at random, not the ceiling every time"
