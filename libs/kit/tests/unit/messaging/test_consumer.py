"""The consumer job outlives Kafka being away and stops loudly on anything else (no broker)."""

import asyncio
import gc

import pytest
from aiokafka.errors import KafkaConnectionError

from shopflow_kit import Database
from shopflow_kit.messaging.consumer import MessageConsumer
from shopflow_kit.messaging.consumer_retry import ConsumerRetryPolicy
from shopflow_kit.messaging.dead_letters import MissingTopicError
from shopflow_kit.messaging.handlers import MessageHandlers
from shopflow_testing.ports import unused_port

pytestmark = pytest.mark.unit


@pytest.fixture
def consumer() -> MessageConsumer:
    return MessageConsumer(
        Database("postgresql+asyncpg://shop:shop@127.0.0.1/never-connected"),
        "127.0.0.1:9092",
        group_id="shopflow.inventory",
        topics=["shopflow.inventory.commands"],
        handlers=MessageHandlers(),
        retry=ConsumerRetryPolicy(backoff_seconds=0.001, max_backoff_seconds=0.001),
    )


async def test_a_session_that_loses_kafka_is_started_again(consumer, monkeypatch):
    sessions, third_session = 0, asyncio.Event()

    async def session() -> None:
        nonlocal sessions
        sessions += 1
        if sessions < 3:
            raise KafkaConnectionError("broker away")
        third_session.set()
        await asyncio.Event().wait()  # consuming, until cancelled

    monkeypatch.setattr(consumer, "_session", session)
    job = asyncio.create_task(consumer.run())
    await asyncio.wait_for(third_session.wait(), timeout=5)
    job.cancel()

    with pytest.raises(asyncio.CancelledError):
        await job
    assert sessions == 3


async def test_a_failure_that_waiting_cannot_fix_stops_the_job(consumer, monkeypatch):
    async def session() -> None:
        raise MissingTopicError("shopflow.inventory needs topics ['shopflow.inventory.commands']")

    monkeypatch.setattr(consumer, "_session", session)

    with pytest.raises(MissingTopicError):
        await consumer.run()  # the app logs it and fails its readiness check


async def test_a_session_that_cannot_reach_kafka_leaves_no_client_open():
    nowhere = f"127.0.0.1:{unused_port()}"  # a port nothing listens on
    consumer = MessageConsumer(
        Database("postgresql+asyncpg://shop:shop@127.0.0.1/never-connected"),
        nowhere,
        group_id="shopflow.inventory",
        topics=["shopflow.inventory.commands"],
        handlers=MessageHandlers(),
    )
    left_open: list[str] = []  # aiokafka reports a client collected unclosed to the loop
    loop = asyncio.get_running_loop()
    handler = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: left_open.append(context["message"]))
    try:
        with pytest.raises(KafkaConnectionError):
            await consumer._session()
        gc.collect()
    finally:
        loop.set_exception_handler(handler)

    assert left_open == []
