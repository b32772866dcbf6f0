"""The bus as the order saga sees it: commands to the payment service, its replies back."""

import pytest

from shopflow_contracts.payment import EVENTS
from shopflow_payment.models import Base
from shopflow_testing.stand_ins import OrchestratorStandIn
from shopflow_testing.waits import counted, outbox_drained

OUTBOX = Base.metadata.tables["outbox"]


@pytest.fixture
async def saga(infra, bus_topics, client, database):
    """The saga's side of the bus, with the service (`client`) running to answer it."""
    servers = infra.kafka_bootstrap_servers
    async with OrchestratorStandIn.connected(servers, bus_topics, "payment", EVENTS) as stand_in:
        yield stand_in
    await outbox_drained(database)


@pytest.fixture
def retried(app, bus_topics):
    """`await retried(ChargePayment)`: until the service's consumer has failed such a command
    transiently and is about to try it again (its `message_retries_total`)."""

    async def wait(command):
        topic = bus_topics.payment_commands
        await counted(app, "message_retries_total", topic=topic, type=command.TYPE)

    return wait
