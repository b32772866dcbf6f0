"""The payment service's app: what it serves, what it consumes, and what it needs."""

from fastapi import FastAPI

from shopflow_kit import Database, ServiceMetrics, create_app
from shopflow_kit.messaging.wiring import messaging_jobs, report_publishing
from shopflow_payment import api
from shopflow_payment.handlers import PaymentCommands
from shopflow_payment.settings import PaymentSettings
from shopflow_payment.upstreams import PaymentProvider


def build(settings: PaymentSettings) -> FastAPI:
    metrics = ServiceMetrics()
    database = Database(settings.database_url)
    provider = PaymentProvider(
        settings.provider_url, settings.provider_policy, registry=metrics.registry
    )
    bus = messaging_jobs(
        database,
        settings,
        group_id=settings.topics.group("payment"),
        registry=metrics.registry,
        handlers=PaymentCommands(provider, settings.topics).handlers(),
        consumes=[settings.topics.payment_commands],
    )
    # Readiness is the database and the messaging jobs, not the provider: while the PSP is
    # down, payments can still be read and charges fail fast at the breaker, to be retried,
    # so taking this instance out of rotation would only make things worse.
    app = create_app(
        settings,
        title="ShopFlow payment service",
        routers=[api.router],
        database=database,
        metrics=metrics,
        background=bus,
        on_shutdown=[provider.aclose],  # after the consumer has stopped using it
    )
    report_publishing(app, bus.relay)
    app.state.provider = provider
    return app
