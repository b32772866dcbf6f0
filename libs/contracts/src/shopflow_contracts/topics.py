"""Where ShopFlow's messages travel: the catalogue of its Kafka topics and consumer groups.

- commands to a service: `shopflow.<service>.commands` (ReserveStock → inventory);
- the events a service emits: `shopflow.<service>.events` (StockReserved from inventory);
- what a consumer gave up on: `<topic>.dlq`, next to the topic it came from;
- a service consumes as the group `shopflow.<service>`, however many instances it runs.

Every topic has the order id as key, so one order's messages stay in order. Topics are
created on purpose, never by use: `ALL_TOPICS` is what every deployment creates (the
local stack reads it from here). A `Topics` with another prefix names a separate set:
each test uses its own, so a running stack never sees a test's messages.
"""

from dataclasses import dataclass

from pydantic import AliasChoices, Field

from shopflow_kit.messaging.dead_letters import dead_letter_topic
from shopflow_kit.settings import MessagingSettings

PREFIX = "shopflow"
COMMANDED_SERVICES = ("inventory", "payment")  # the services the order saga sends commands
EMITTING_SERVICES = ("inventory", "payment", "order")  # the services that announce events


@dataclass(frozen=True)
class Topics:
    """The topic and group names of one deployment: `Topics()` is the stack's."""

    prefix: str = PREFIX

    def commands(self, service: str) -> str:
        """The topic `service` takes its commands from."""
        return f"{self.prefix}.{service}.commands"

    def events(self, service: str) -> str:
        """The topic `service` announces its events on."""
        return f"{self.prefix}.{service}.events"

    def group(self, service: str) -> str:
        """The consumer group of `service`: its instances share the partitions."""
        return f"{self.prefix}.{service}"

    @property
    def inventory_commands(self) -> str:
        return self.commands("inventory")

    @property
    def payment_commands(self) -> str:
        return self.commands("payment")

    @property
    def inventory_events(self) -> str:
        return self.events("inventory")

    @property
    def payment_events(self) -> str:
        return self.events("payment")

    @property
    def order_events(self) -> str:
        return self.events("order")

    def all(self) -> tuple[str, ...]:
        """Every topic of this set, dead-letter topics included."""
        messages = (
            *(self.commands(service) for service in COMMANDED_SERVICES),
            *(self.events(service) for service in EMITTING_SERVICES),
        )
        return (*messages, *(dead_letter_topic(topic) for topic in messages))


ALL_TOPICS = Topics().all()
"""Every topic of the stack, dead-letter topics included: each deployment creates these."""


class BusSettings(MessagingSettings):
    """A service on ShopFlow's bus: the kit's Kafka settings and the prefix of its topics,
    unprefixed (`SHOPFLOW_TOPIC_PREFIX`; tests pass `topic_prefix` to get topics of their own)."""

    topic_prefix: str = Field(
        default=PREFIX, validation_alias=AliasChoices("SHOPFLOW_TOPIC_PREFIX", "topic_prefix")
    )

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)
