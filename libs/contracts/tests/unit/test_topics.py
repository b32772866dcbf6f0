"""The catalogue of topics and consumer groups: what the relay publishes to and consumers read."""

import pytest

from shopflow_contracts.topics import ALL_TOPICS, BusSettings, Topics
from shopflow_kit.messaging.dead_letters import dead_letter_topic

pytestmark = pytest.mark.unit


def test_names_follow_the_convention():
    stack = Topics()
    assert stack.commands("inventory") == "shopflow.inventory.commands"
    assert stack.events("order") == "shopflow.order.events"
    assert dead_letter_topic("shopflow.payment.commands") == "shopflow.payment.commands.dlq"
    assert stack.group("payment") == "shopflow.payment"


def test_the_stack_has_each_services_topics_and_a_dead_letter_topic_for_each():
    messages = [
        "shopflow.inventory.commands",
        "shopflow.payment.commands",
        "shopflow.inventory.events",
        "shopflow.payment.events",
        "shopflow.order.events",
    ]
    assert (*messages, *(f"{topic}.dlq" for topic in messages)) == ALL_TOPICS


def test_another_prefix_names_a_separate_set():
    topics = Topics("t.run42")
    assert topics.payment_commands == "t.run42.payment.commands"
    assert topics.group("order") == "t.run42.order"
    assert not set(topics.all()) & set(ALL_TOPICS)


def test_a_service_on_the_bus_takes_its_topics_from_the_stacks_prefix_unless_told(monkeypatch):
    monkeypatch.delenv("SHOPFLOW_TOPIC_PREFIX", raising=False)
    common = {"service_name": "shelf", "port": 8005, "kafka_bootstrap_servers": "127.0.0.1:9092"}

    assert BusSettings(**common).topics == Topics()
    assert BusSettings(**common, topic_prefix="t.run42").topics == Topics("t.run42")
