"""The order service's app: what it serves and what it needs."""

from fastapi import FastAPI

from shopflow_kit import Database, ServiceMetrics, create_app
from shopflow_kit.messaging.wiring import messaging_jobs, report_publishing
from shopflow_kit.saga.sweeper import DeadlineSweeper
from shopflow_order import api
from shopflow_order.admission import Admission
from shopflow_order.handlers import saga_replies
from shopflow_order.orchestrator import Orchestrator
from shopflow_order.settings import OrderSettings
from shopflow_order.upstreams import Inventory

REPLIES_PER_TRANSACTION = 20  # saga rows locked at once: a cancel waits for at most these


def build(settings: OrderSettings) -> FastAPI:
    metrics = ServiceMetrics()
    database = Database(settings.database_url)
    inventory = Inventory(
        settings.inventory_url, settings.inventory_policy, registry=metrics.registry
    )
    orchestrator = Orchestrator(settings, registry=metrics.registry)
    admission = Admission(
        database,
        max_latency=settings.admission_max_latency,
        min_backlog=settings.admission_min_backlog,
        longest_wait=settings.saga_step_deadline_seconds,
        registry=metrics.registry,
    )
    sweeper = DeadlineSweeper(
        database, orchestrator.on_deadlines, interval=settings.saga_sweep_interval_seconds
    )
    # The outbox relay sends the saga's commands and events; the consumer takes the replies.
    bus = messaging_jobs(
        database,
        settings,
        group_id=settings.topics.group("order"),
        registry=metrics.registry,
        handlers=saga_replies(orchestrator),
        consumes=[settings.topics.inventory_events, settings.topics.payment_events],
        # A reply only moves its saga and writes the outbox: replies that arrived together
        # share a transaction (the BEGIN, COMMIT and WAL flush of each saved).
        records_per_transaction=REPLIES_PER_TRANSACTION,
    )
    # Inventory is not a readiness check: without it orders can still be read and cancelled.
    app = create_app(
        settings,
        title="ShopFlow order service",
        routers=[api.router],
        database=database,
        metrics=metrics,
        background={**bus, "saga-deadlines": sweeper.run, "admission": admission.run},
        on_shutdown=[inventory.aclose],
    )
    report_publishing(app, bus.relay)  # new orders and cancels need the bus: see api
    app.state.inventory = inventory
    app.state.orchestrator = orchestrator
    app.state.admission = admission
    return app
