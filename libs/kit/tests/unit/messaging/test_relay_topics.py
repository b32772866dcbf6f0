"""The topic and consumer group names the relay publishes to and consumers read from."""

import pytest

from shopflow_kit.messaging.topics import ALL_TOPICS, Topics, dead_letter_topic

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
