"""The bus as the order saga sees it: commands to the inventory service, its replies back."""

import pytest
from sqlalchemy import select

from shopflow_contracts.inventory import EVENTS
from shopflow_inventory.models import Base
from shopflow_testing.stand_ins import OrchestratorStandIn
from shopflow_testing.waits import counted, outbox_drained

OUTBOX = Base.metadata.tables["outbox"]


@pytest.fixture
async def saga(infra, bus_topics, client, database):
    """The saga's side of the bus, with the service (`client`) running to answer it."""
    servers = infra.kafka_bootstrap_servers
    async with OrchestratorStandIn.connected(servers, bus_topics, "inventory", EVENTS) as stand_in:
        yield stand_in
    await outbox_drained(database)


@pytest.fixture
def consumed(app, bus_topics):
    """`await consumed(ReserveStock, "duplicate")`: until the service's consumer has had
    that outcome for such a command (its `messages_consumed_total`)."""

    async def wait(command, outcome):
        topic = bus_topics.inventory_commands
        await counted(
            app, "messages_consumed_total", topic=topic, type=command.TYPE, outcome=outcome
        )

    return wait


@pytest.fixture
def replies_written(database):
    """`await replies_written(order_id)`: the types of the replies in the outbox, in order."""

    async def read(order_id):
        statement = select(OUTBOX.c.type).where(OUTBOX.c.key == str(order_id))
        async with database.transaction() as session:
            return list(await session.scalars(statement.order_by(OUTBOX.c.seq)))

    return read
