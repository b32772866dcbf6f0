"""Where ShopFlow's messages travel: its Kafka topic and consumer group names, in one place.

- commands to a service: `shopflow.<service>.commands` (ReserveStock → inventory);
- the events a service emits: `shopflow.<service>.events` (StockReserved from inventory);
- what a consumer gave up on: `<topic>.dlq`, next to the topic it came from;
- a service consumes as the group `shopflow.<service>`, however many instances it runs.

Every topic has the stack's partition count (3) and the order id as key, so one order's
messages stay in order. Topics are created on purpose, never by use: `ALL_TOPICS` is
what deploy/local/stack.toml creates. A `Topics` with another prefix names a separate
set (each test uses its own, so a running stack never sees a test's messages).
"""

from dataclasses import dataclass

PREFIX = "shopflow"
COMMANDED_SERVICES = ("inventory", "payment")  # the services the order saga sends commands
EMITTING_SERVICES = ("inventory", "payment", "order")  # the services that announce events


def dead_letter_topic(topic: str) -> str:
    """Where messages of `topic` that could not be handled are kept, with their error."""
    return f"{topic}.dlq"


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
"""Every topic of the stack, dead-letter topics included: the stack creates these."""
